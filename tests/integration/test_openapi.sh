# The API documentation (issue 7, item 4): GET /openapi.json, an OpenAPI 3.0
# document of every route of api.md, valid against the OpenAPI 3.0 schema;
# the routes the daemons register (read from the source) and the routes the
# document names are the same set, and every documented operation is served
# through nginx; real responses validate against the document's schemas and
# carry its required headers; /docs (Swagger UI) and /redoc (ReDoc) use only
# our own assets, render every operation in headless Chromium with every
# other host unreachable, and "Authorize" plus "Try it out" work through the
# OAuth2 password form of /api/v1/auth/login.
#
# Needs Debian's chromium, python3-jsonschema (pulled in by python3-flasgger),
# python3-websocket (the DevTools Protocol client in tests/bench/docs_render.py)
# and openapi-specification (the OpenAPI 3.0 JSON schema).

py=/usr/bin/python3 # Debian's, with its python3-jsonschema and python3-websocket
oas_schema=/usr/share/openapi-specification/schemas/v3.0/schema.json
doc_file=$repo/services/users-api/openapi.json
doc=$scratch/openapi.json
docs_host=docs.usersuite.test

openapi_config() { sed -n "s/^$1=//p" "$config" | tail -n1; }

# openapi_fetch: GET /openapi.json through nginx (200 asserted) into $doc.
openapi_fetch() {
	get /openapi.json
	assert_status 200
	cp "$scratch/body" "$doc"
}

# openapi_operations: the document's operations, "METHOD PATH", sorted.
openapi_operations() {
	jq -r '.paths | to_entries[] | .key as $p | .value | keys[]
		| select(IN("get", "put", "post", "delete", "patch", "head", "options", "trace"))
		| "\(ascii_upcase) \($p)"' "$doc" | LC_ALL=C sort
}

# openapi_source_routes: the routes the daemons register, "METHOD PATH",
# sorted, {id:int} written {id}: every router.add("METHOD", "/path", ...) of
# the daemons' sources, over several lines if need be.
openapi_source_routes() {
	"$py" - "$repo" <<'EOF'
import glob, re, sys
repo = sys.argv[1]
files = sorted(set(glob.glob(repo + "/services/*/*.cpp") + glob.glob(repo + "/services/*/routes/*.cpp")
                   + glob.glob(repo + "/libcommon/*.cpp")))
adds = re.compile(r'\brouter\s*\.\s*add\s*\(')
route = re.compile(r'\brouter\s*\.\s*add\s*\(\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"', re.S)
found = set()
for f in files:
    text = open(f, encoding="utf-8").read()
    n_adds = len(adds.findall(text))
    routes = route.findall(text)
    if n_adds != len(routes):
        sys.exit("%s: %d router.add( calls, %d of them with a literal method and path" % (f, n_adds, len(routes)))
    for method, path in routes:
        found.add("%s %s" % (method, re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*):[a-z]+\}", r"{\1}", path)))
if len(found) < 10:
    sys.exit("only %d routes found in the source: the pattern no longer matches" % len(found))
print("\n".join(sorted(found)))
EOF
}

# ---- the document

test_openapi_json_is_served_with_the_configured_info() {
	local title version description
	openapi_fetch
	assert_match '^[A-Za-z0-9._:@/-]{1,128}$' "$(header X-Request-ID)" "X-Request-ID"
	assert_match '^[0-9]+(\.[0-9]+)?$' "$(header X-Process-Time)" "X-Process-Time"
	assert_header Content-Type application/json
	assert_match '^3\.0\.[0-9]+$' "$(jqb .openapi)" "openapi"
	title=$(openapi_config PROJECT_NAME)
	version=$(openapi_config VERSION)
	description=$(openapi_config DESCRIPTION)
	[[ -n $title && -n $version && -n $description ]] || fail "PROJECT_NAME, VERSION or DESCRIPTION missing in $config"
	assert_json .info.title "$title"
	assert_json .info.version "$version"
	assert_json .info.description "$description"
	# The repository's file has them empty; apart from info, the document
	# served is that file (a stale build fails here: run make).
	assert_eq '{"description":"","title":"","version":""}' "$(jq -cS .info "$doc_file")" "info in $doc_file"
	assert_eq "$(jq -S 'del(.info)' "$doc_file")" "$(jq -S 'del(.info)' "$doc")" "the document served vs $doc_file"
	# HEAD answers too, with no body.
	request HEAD "$base_url/openapi.json"
	assert_status 200
	# Another configuration, another info: a users-api of our own, with
	# characters JSON and HTML must escape.
	start_own_users_api -o 'PROJECT_NAME=Ünïcode "quoted" <b>&amp;</b>' -o VERSION=9.8.7-rc.1 \
		-o 'DESCRIPTION=A line with \ backslash'
	request GET "$OWN_URL/openapi.json"
	assert_status 200
	assert_json .info.title 'Ünïcode "quoted" <b>&amp;</b>'
	assert_json .info.version 9.8.7-rc.1
	assert_json .info.description 'A line with \ backslash'
	request GET "$OWN_URL/docs"
	assert_status 200
	grep -qF '<title>Ünïcode &quot;quoted&quot; &lt;b&gt;&amp;amp;&lt;/b&gt; - Swagger UI</title>' "$scratch/body" ||
		fail "/docs title not escaped: $(grep -o '<title>.*</title>' "$scratch/body")"
}

test_openapi_document_is_valid_openapi_3_0_and_consistent() {
	[[ -f $oas_schema ]] || fail "$oas_schema missing: install Debian's openapi-specification"
	openapi_fetch
	# The file is pretty-printed with a 2-space indent.
	"$py" -c 'import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
want = json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
if text != want:
    sys.exit(sys.argv[1] + " is not as json.dumps(indent=2, ensure_ascii=False) writes it")' "$doc_file"
	"$py" - "$oas_schema" "$doc" <<'EOF'
import json, re, sys
import jsonschema

oas = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
problems = []
for e in jsonschema.Draft4Validator(oas, format_checker=jsonschema.FormatChecker()).iter_errors(doc):
    problems.append("OpenAPI 3.0 schema: at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))

def walk(node, where=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield where, k, v
            yield from walk(v, where + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, where + "/" + str(i))

def pointer(ref):
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node

def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(node["$ref"])
    return node

for where, k, v in walk(doc):
    if k == "$ref":
        try:
            assert v.startswith("#/")
            pointer(v)
        except Exception:
            problems.append("%s: $ref %s does not resolve" % (where, v))
if problems:
    sys.exit("\n".join(problems))

resolver = jsonschema.RefResolver("", doc)
def check(instance, schema, what):
    for e in jsonschema.Draft4Validator(schema, resolver=resolver).iter_errors(instance):
        problems.append("%s: %s" % (what, e.message[:300]))

methods = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
secured = set()
op_ids = []
for path, item in doc["paths"].items():
    template = set(re.findall(r"\{([^}]+)\}", path))
    for method, op in item.items():
        if method not in methods:
            continue
        name = "%s %s" % (method.upper(), path)
        op_ids.append(op.get("operationId"))
        for key in ("summary", "operationId", "tags", "description"):
            if not op.get(key):
                problems.append("%s: no %s" % (name, key))
        params = [deref(p) for p in op.get("parameters", [])]
        declared = {p["name"] for p in params if p["in"] == "path"}
        if declared != template:
            problems.append("%s: path parameters %s, template %s" % (name, sorted(declared), sorted(template)))
        if not all(p.get("required") for p in params if p["in"] == "path"):
            problems.append("%s: a path parameter is not required" % name)
        for p in params:
            if "example" in p:
                check(p["example"], p["schema"], name + " parameter " + p["name"] + " example")
        if "security" in op:
            secured.add(name)
            for req in op["security"]:
                for scheme in req:
                    if scheme not in doc["components"]["securitySchemes"]:
                        problems.append("%s: unknown security scheme %s" % (name, scheme))
        responses = op["responses"]
        if not any(s.startswith("2") for s in responses):
            problems.append("%s: no 2xx response" % name)
        if "default" not in responses:
            problems.append("%s: no default (other errors) response" % name)
        for status, resp in responses.items():
            resp = deref(resp)
            where = "%s response %s" % (name, status)
            headers = resp.get("headers", {})
            for h in ("X-Request-ID", "X-Process-Time"):
                if h not in headers or not deref(headers[h]).get("required"):
                    problems.append("%s: header %s not documented as required" % (where, h))
            if status == "204" and "content" in resp:
                problems.append("%s: a 204 with content" % where)
            for media, body in resp.get("content", {}).items():
                schema = body.get("schema")
                if schema is None:
                    problems.append("%s %s: no schema" % (where, media))
                    continue
                if status.startswith(("4", "5")) or status == "default":
                    want = {"422": "HTTPValidationError"}.get(status, "HTTPError")
                    if path == "/health" and status == "503":
                        want = "HealthUnhealthy"
                    if schema.get("$ref") != "#/components/schemas/" + want:
                        problems.append("%s: schema %s, want %s" % (where, schema, want))
                if "example" in body:
                    check(body["example"], schema, where + " example")
        if "requestBody" in op:
            for media, body in deref(op["requestBody"])["content"].items():
                s = deref(body["schema"])
                if "example" in s:
                    check(s["example"], body["schema"], "%s request %s example" % (name, media))
if len(op_ids) != len(set(op_ids)):
    problems.append("operationIds repeat: %s" % sorted(op_ids))
want_secured = {"PUT /api/v1/users/{id}", "DELETE /api/v1/users/{id}", "GET /api/v1/auth/me"}
if secured != want_secured:
    problems.append("secured operations %s, want %s" % (sorted(secured), sorted(want_secured)))
# api.md's error statuses: each documented where it occurs, the rest in
# the default response's description.
explicit = {s for item in doc["paths"].values() for m, op in item.items() if m in methods for s in op["responses"]}
for s in ("401", "403", "404", "409", "413", "415", "422", "429", "503"):
    if s not in explicit:
        problems.append("api.md's %s is documented nowhere" % s)
default = deref({"$ref": "#/components/responses/Error"})["description"]
for s in ("400", "404", "405", "413", "500", "502", "503", "504"):
    if s not in default:
        problems.append("the default response does not mention %s" % s)
if "Allow" not in deref({"$ref": "#/components/responses/Error"})["headers"]:
    problems.append("the default response does not document Allow (405)")
if problems:
    sys.exit("\n".join(problems))
print("valid OpenAPI %s, %d operations" % (doc["openapi"], len(op_ids)))
EOF
}

# ---- the routes: served == documented

test_openapi_documents_every_route_the_daemons_register_and_no_other() {
	local served documented
	openapi_fetch
	served=$(openapi_source_routes) || fail "reading the routes from the source: $served"
	documented=$(openapi_operations)
	if [[ $served != "$documented" ]]; then
		echo "served by the daemons (<) vs documented (>):" >&2
		diff <(echo "$served") <(echo "$documented") >&2 || true
		fail "the document's operations are not the daemons' routes"
	fi
	assert_eq 15 "$(wc -l <<<"$documented")" "number of operations"
}

test_openapi_every_documented_operation_is_served_through_nginx() {
	local method path url allow want args line
	openapi_fetch
	while read -r method path; do
		# {id} 0 is a 422 that only the route with that method gives (the
		# router checks the id after the method); POST and PUT send {}.
		url=${path//\{id\}/0}
		url=${url//\{name\}/Ada}
		args=()
		[[ $method == POST || $method == PUT ]] && args=(-H 'Content-Type: application/json' --data-binary '{}')
		get "$url" -X "$method" "${args[@]}"
		[[ $STATUS != 404 && $STATUS != 405 && $STATUS != 000 ]] || fail "$method $path ($url): $STATUS"
		jq -e --arg p "$path" --arg m "${method,,}" --arg s "$STATUS" '.paths[$p][$m].responses | has($s)' "$doc" \
			>/dev/null || fail "$method $path answered $STATUS, which the document does not list for it"
		if [[ $method == GET ]]; then
			request HEAD "$base_url$url"
			[[ $STATUS != 404 && $STATUS != 405 ]] || fail "HEAD $path: $STATUS"
		fi
	done < <(openapi_operations)
	# Per path, the methods nginx's daemon allows are the documented ones
	# (and HEAD with GET).
	while read -r line; do
		path=${line%%$'\t'*}
		want=${line#*$'\t'}
		url=${path//\{id\}/1}
		url=${url//\{name\}/Ada}
		get "$url" -X PATCH
		assert_error 405
		allow=$(header Allow | tr -d ' ' | tr ',' '\n' | LC_ALL=C sort | paste -sd, -)
		assert_eq "$want" "$allow" "Allow of $path"
	done < <(jq -r '.paths | to_entries[] | "\(.key)\t\([.value | keys[] | ascii_upcase] +
		(if .value.get then ["HEAD"] else [] end) | sort | join(","))"' "$doc")
}

# ---- real responses against the document

# openapi_capture WHERE: records the last response for openapi_validate,
# WHERE being "METHOD PATH-TEMPLATE" (the operation it answers) or
# "component RESPONSE-NAME".
openapi_capture() {
	local n
	n=$(($(wc -l <"$scratch/captures" 2>/dev/null || echo 0) + 1))
	cp "$scratch/headers" "$scratch/cap-$n.headers"
	cp "$scratch/body" "$scratch/cap-$n.body"
	jq -cn --arg where "$1" --arg status "$STATUS" --arg h "$scratch/cap-$n.headers" --arg b "$scratch/cap-$n.body" \
		'{where: $where, status: $status, headers: $h, body: $b}' >>"$scratch/captures"
}

# openapi_validate: every captured response against the document: its status
# listed for the operation (or the default), its body valid against the
# schema for its status and Content-Type, its required headers present and
# valid. Prints one line per response.
openapi_validate() {
	"$py" - "$doc" "$scratch/captures" <<'EOF'
import json, sys
import jsonschema

doc = json.load(open(sys.argv[1]))
resolver = jsonschema.RefResolver("", doc)

def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node

def parse_headers(path):
    blocks, block = [], {}
    for line in open(path, encoding="latin-1").read().split("\n"):
        line = line.rstrip("\r")
        if line.startswith("HTTP/"):
            block = {}
            blocks.append(block)
        elif ":" in line:
            name, value = line.split(":", 1)
            block.setdefault(name.strip().lower(), []).append(value.strip())
    return blocks[-1] if blocks else {}

failures, seen = [], 0
for line in open(sys.argv[2]):
    cap = json.loads(line)
    where, status = cap["where"], cap["status"]
    name = "%s -> %s" % (where, status)
    if where.startswith("component "):
        response = deref({"$ref": "#/components/responses/" + where.split()[1]})
    else:
        method, path = where.split(" ", 1)
        op = doc["paths"].get(path, {}).get(method.lower())
        if op is None:
            failures.append("%s: no such operation in the document" % name)
            continue
        response = op["responses"].get(status)
        if response is None:
            failures.append("%s: status not documented for the operation" % name)
            continue
        response = deref(response)
    headers = parse_headers(cap["headers"])
    body = open(cap["body"], "rb").read()
    problems = []
    for hname, h in response.get("headers", {}).items():
        h = deref(h)
        values = headers.get(hname.lower())
        if not values:
            if h.get("required"):
                problems.append("required header %s missing" % hname)
            continue
        if len(values) != 1:
            problems.append("%d %s headers" % (len(values), hname))
        for e in jsonschema.Draft4Validator(h["schema"], resolver=resolver).iter_errors(values[0]):
            problems.append("header %s: %s" % (hname, e.message[:200]))
    content = response.get("content")
    ctype = (headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    if not content:
        if body:
            problems.append("a body where the document has none: %r" % body[:100])
    elif ctype not in content:
        problems.append("Content-Type %r, documented %s" % (ctype, sorted(content)))
    else:
        schema = content[ctype]["schema"]
        if ctype == "application/json":
            try:
                instance = json.loads(body)
            except ValueError as e:
                problems.append("not JSON: %s" % e)
                instance = None
        else:
            instance = body.decode("utf-8")
        if instance is not None:
            for e in jsonschema.Draft4Validator(schema, resolver=resolver).iter_errors(instance):
                problems.append("body at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:200]))
            if ctype == "application/json" and isinstance(instance, dict) and "request_id" in instance:
                if [instance["request_id"]] != headers.get("x-request-id"):
                    problems.append("request_id is not the X-Request-ID")
    seen += 1
    if problems:
        failures.append("%s: %s" % (name, "; ".join(problems)))
    else:
        print("valid: %s" % name)
if failures:
    sys.exit("\n".join(failures))
if seen == 0:
    sys.exit("no response captured")
print("%d responses valid against the document" % seen)
EOF
}

# openapi_json_call METHOD PATH-TEMPLATE URL-PATH JSON [curl args...]
openapi_json_call() {
	get "$3" -X "$1" -H 'Content-Type: application/json' --data-binary "$4" "${@:5}"
	openapi_capture "$1 $2"
}

test_openapi_real_responses_validate_against_the_document() {
	local email_a email_b pw_a pw_b id_a id_b token_a token_b form max=9223372036854775807
	openapi_fetch
	: >"$scratch/captures"
	# Root, hello, health and the documentation.
	local url
	for url in / /health /api/v1/hello /openapi.json /docs /redoc; do
		get "$url"
		assert_status 200
		openapi_capture "GET $url"
	done
	get /api/v1/hello/Ada%20Lovelace%20%F0%9F%A6%89
	assert_status 200
	openapi_capture "GET /api/v1/hello/{name}"
	get /api/v1/hello/%FF
	assert_status 422
	openapi_capture "GET /api/v1/hello/{name}"

	# Register and POST /api/v1/users: 201, 409, 415, 422 of several kinds.
	email_a=$(new_email)
	pw_a=$(new_password)
	email_b=$(new_email)
	pw_b=$(new_password)
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register \
		"$(json_object email "$email_a" password "$pw_a" name "  Ada  ")"
	assert_status 201
	id_a=$(jqb .id)
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register \
		"$(json_object email "${email_a^^}" password "$pw_a" name Ada)"
	assert_status 409
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register '{}'
	assert_status 422
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register '{"email": "not an email", "password": "short", "name": "", "x": 1}'
	assert_status 422
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register '{"email": null, "password": 12345678, "name": ["a"]}'
	assert_status 422
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register '{"email": '
	assert_status 422
	openapi_json_call POST /api/v1/auth/register /api/v1/auth/register '[]'
	assert_status 422
	get /api/v1/auth/register -X POST -H 'Content-Type: text/plain' --data-binary 'x'
	assert_status 415
	openapi_capture "POST /api/v1/auth/register"
	openapi_json_call POST /api/v1/users /api/v1/users "$(json_object email "$email_b" password "$pw_b" name Bob)"
	assert_status 201
	id_b=$(jqb .id)
	openapi_json_call POST /api/v1/users /api/v1/users "$(json_object email "$email_b" password "$pw_b" name Bob)"
	assert_status 409
	openapi_json_call POST /api/v1/users /api/v1/users "$(json_object email "$email_b" password "$pw_b$(printf 'x%.0s' {1..80})" name Bob)"
	assert_status 422
	get /api/v1/users -X POST -d "email=$email_b"
	assert_status 415
	openapi_capture "POST /api/v1/users"

	# Login: JSON, the form Swagger UI sends, 401, 415, 422.
	openapi_json_call POST /api/v1/auth/login /api/v1/auth/login "$(json_object email "$email_a" password "$pw_a")"
	assert_status 200
	token_a=$(jqb .access_token)
	form="grant_type=password&username=$(jq -rn --arg v "$email_b" '$v|@uri')&password=$(jq -rn --arg v "$pw_b" '$v|@uri')&scope="
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' -H 'Authorization: Basic Og==' \
		--data-binary "$form"
	assert_status 200
	openapi_capture "POST /api/v1/auth/login"
	token_b=$(jqb .access_token)
	openapi_json_call POST /api/v1/auth/login /api/v1/auth/login "$(json_object email "$email_a" password "$pw_b")"
	assert_status 401
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'grant_type=password'
	assert_status 422
	openapi_capture "POST /api/v1/auth/login"
	openapi_json_call POST /api/v1/auth/login /api/v1/auth/login '{"email": 1}'
	assert_status 422
	get /api/v1/auth/login -X POST -H 'Content-Type: text/plain' --data-binary 'x'
	assert_status 415
	openapi_capture "POST /api/v1/auth/login"

	# me: 200, 401 without and with a bad token.
	me "$token_a"
	assert_status 200
	openapi_capture "GET /api/v1/auth/me"
	get /api/v1/auth/me
	assert_status 401
	openapi_capture "GET /api/v1/auth/me"
	me "$token_a.x"
	assert_status 401
	openapi_capture "GET /api/v1/auth/me"

	# The list: 200, and 422 for each bound.
	local want
	for url in '?skip=0&limit=2 200' ' 200' "?skip=$max&limit=100 200" '?limit=0 422' '?limit=101 422' \
		'?skip=-1 422' '?skip=1.5&limit=x 422'; do
		want=${url##* }
		get "/api/v1/users${url% *}"
		assert_status "$want"
		openapi_capture "GET /api/v1/users"
	done

	# One user: 200, 404, 422.
	for url in "$id_a 200" "$max 404" '0 422' '9223372036854775808 422' '-1 422' 'abc 422'; do
		get "/api/v1/users/${url% *}"
		assert_status "${url##* }"
		openapi_capture "GET /api/v1/users/{id}"
	done

	# PUT: 200, 401, 403, 404, 409, 415, 422.
	local put="PUT /api/v1/users/{id}" auth=(-H "Authorization: Bearer $token_a")
	openapi_json_call PUT '/api/v1/users/{id}' "/api/v1/users/$id_a" '{"name": "Ada King"}' "${auth[@]}"
	assert_status 200
	assert_json .name "Ada King"
	openapi_json_call PUT '/api/v1/users/{id}' "/api/v1/users/$id_a" '{"name": "Ada"}'
	assert_status 401
	openapi_json_call PUT '/api/v1/users/{id}' "/api/v1/users/$id_b" '{"name": "Not Bob"}' "${auth[@]}"
	assert_status 403
	openapi_json_call PUT '/api/v1/users/{id}' "/api/v1/users/$max" '{"name": "Nobody"}' "${auth[@]}"
	assert_status 404
	openapi_json_call PUT '/api/v1/users/{id}' "/api/v1/users/$id_a" "$(json_object email "$email_b")" "${auth[@]}"
	assert_status 409
	openapi_json_call PUT '/api/v1/users/{id}' "/api/v1/users/$id_a" '{"name": null, "password": "short"}' "${auth[@]}"
	assert_status 422
	openapi_json_call PUT '/api/v1/users/{id}' /api/v1/users/0 '{}' "${auth[@]}"
	assert_status 422
	get "/api/v1/users/$id_a" -X PUT -H 'Content-Type: text/plain' --data-binary 'x' "${auth[@]}"
	assert_status 415
	openapi_capture "$put"

	# DELETE: 401, 403, 404, 422, 204; then the token is a 401.
	local del="DELETE /api/v1/users/{id}"
	openapi_delete "$id_a"
	assert_status 401
	openapi_capture "$del"
	openapi_delete "$id_a" "${auth[@]}" -H 'X-Request-ID: openapi-delete'
	assert_status 204
	openapi_capture "$del"
	assert_header X-Request-ID openapi-delete
	openapi_delete "$id_b" -H "Authorization: Bearer $token_b"
	assert_status 204
	openapi_capture "$del"
	openapi_delete "$id_b" "${auth[@]}"
	assert_status 401
	openapi_capture "$del"
	# 403 and 404 need a live token of another user.
	local email_c pw_c token_c
	email_c=$(new_email)
	pw_c=$(new_password)
	openapi_json_call POST /api/v1/users /api/v1/users "$(json_object email "$email_c" password "$pw_c" name Cy)"
	assert_status 201
	token_for "$email_c" "$pw_c"
	token_c=$TOKEN
	openapi_other_user
	openapi_delete "$USER_ID" -H "Authorization: Bearer $token_c"
	assert_status 403
	openapi_capture "$del"
	openapi_delete "$max" -H "Authorization: Bearer $token_c"
	assert_status 404
	openapi_capture "$del"
	openapi_delete 0 -H "Authorization: Bearer $token_c"
	assert_status 422
	openapi_capture "$del"
	me "$token_a"
	assert_status 401
	openapi_capture "GET /api/v1/auth/me"

	# Errors outside any operation: the default response.
	get /api/v1/users/
	assert_status 404
	openapi_capture "component Error"
	get /api/v1/users -X PATCH
	assert_status 405
	openapi_capture "component Error"
	[[ -n $(header Allow) ]] || fail "405 without Allow"
	head -c 1048577 /dev/zero >"$scratch/big"
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' --data-binary @"$scratch/big"
	assert_status 413
	openapi_capture "POST /api/v1/auth/register"

	openapi_validate
}

# openapi_delete ID [curl args...]: DELETE /api/v1/users/ID through nginx.
openapi_delete() { get "/api/v1/users/$1" -X DELETE "${@:2}"; }

# openapi_other_user: a user through POST /api/v1/users; sets USER_ID.
openapi_other_user() {
	get /api/v1/users -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$(new_email)" password "$(new_password)" name Other)"
	assert_status 201
	USER_ID=$(jqb .id)
}

test_openapi_rare_errors_validate_too_429_and_503() {
	local email pw token id
	openapi_fetch
	: >"$scratch/captures"
	email=$(new_email)
	pw=$(new_password)
	get /api/v1/users -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$email" password "$pw" name Ada)"
	assert_status 201
	id=$(jqb .id)
	token_for "$email" "$pw"
	token=$TOKEN
	# Redis hung: /health is a 503 naming it, and a PUT (which needs the
	# cache's lock) a 503 with Retry-After.
	pause_redis
	get /health
	assert_status 503
	openapi_capture "GET /health"
	get "/api/v1/users/$id" -X PUT -H 'Content-Type: application/json' --data-binary '{"name": "Ada"}' \
		-H "Authorization: Bearer $token"
	assert_status 503
	openapi_capture "PUT /api/v1/users/{id}"
	resume_redis
	# nginx's login brake.
	at_exit "\"$stack\" restart nginx"
	STACK_CONFIG="$STACK_CONFIG"$'\n'"LOGIN_RATE_PER_MINUTE=6"$'\n'"LOGIN_BURST=1" "$stack" restart nginx
	local n
	for n in 1 2 3 4 5; do
		login "$email" "$pw-wrong"
		[[ $STATUS == 429 ]] && break
	done
	assert_status 429
	openapi_capture "POST /api/v1/auth/login"
	openapi_validate
}

# ---- /docs and /redoc

test_openapi_docs_pages_use_only_our_assets() {
	local page ref asset ctype refs
	for page in /docs /redoc; do
		get "$page"
		assert_status 200
		assert_match '^text/html' "$(header Content-Type)" "Content-Type of $page"
		assert_match '^[A-Za-z0-9._:@/-]{1,128}$' "$(header X-Request-ID)" "X-Request-ID"
		assert_match '^[0-9]+(\.[0-9]+)?$' "$(header X-Process-Time)" "X-Process-Time"
		! grep -qiE 'https?:|["'"'"'(=]//' "$scratch/body" ||
			fail "$page names another host: $(grep -oiE '.{20}(https?:|//).{30}' "$scratch/body" | head -n3)"
		refs=$(grep -oE '(src|href|spec-url)="[^"]*"|url: *'"'"'[^'"'"']*'"'" "$scratch/body" |
			sed -E 's/^[a-z-]+(=|: *)["'"'"']//; s/["'"'"']$//')
		[[ -n $refs ]] || fail "$page references nothing"
		grep -q '^/openapi.json$' <<<"$refs" || fail "$page does not load /openapi.json"
		grep -q '^/_assets/.*\.js$' <<<"$refs" || fail "$page loads no script of ours"
		for ref in $refs; do
			[[ $ref == /openapi.json || $ref == /_assets/* ]] || fail "$page references $ref"
			[[ $ref == /_assets/* ]] || continue
			get "$ref"
			assert_status 200
			ctype=$(header Content-Type)
			case $ref in
			*.js) assert_match '^(application|text)/javascript' "$ctype" "Content-Type of $ref" ;;
			*.css) assert_match '^text/css' "$ctype" "Content-Type of $ref" ;;
			*) fail "$page references $ref, neither a script nor a style sheet" ;;
			esac
			(($(wc -c <"$scratch/body") > 1000)) || fail "$ref is nearly empty"
		done
		echo "$page: $(tr '\n' ' ' <<<"$refs")"
	done
}

# openapi_dump_dom PAGE: the DOM of http://127.0.0.1:PORT/PAGE after headless
# Chromium has run its scripts, with every other host unresolvable, into
# $scratch/dom.
openapi_dump_dom() {
	local dir=$scratch/chromium-$RANDOM
	mkdir -p "$dir"
	timeout -k 5 40 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-extensions \
		--disable-background-networking --disable-component-update --user-data-dir="$dir" \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --virtual-time-budget=15000 \
		--dump-dom "$base_url$1" >"$scratch/dom" 2>"$scratch/chromium.stderr" </dev/null &
	local pid=$!
	test_pids+=("$pid")
	wait "$pid" || fail "chromium --dump-dom $1 failed: $(tail -n5 "$scratch/chromium.stderr")"
	rm -rf "$dir"
}

test_openapi_docs_and_redoc_render_every_operation_in_headless_chromium() {
	local want got summary id
	command -v chromium >/dev/null || fail "Debian's chromium is not installed"
	openapi_fetch
	# Swagger UI: one div.opblock per operation, with the id it makes of the
	# tag and the operationId.
	want=$(jq -r '.paths[][] | objects | select(has("operationId")) | "operations-\(.tags[0])-\(.operationId)"' "$doc" |
		LC_ALL=C sort)
	openapi_dump_dom /docs
	got=$(grep -oE '<div class="opblock opblock-[a-z]+[^"]*" id="[^"]+"' "$scratch/dom" | sed -E 's/.* id="//; s/"$//' |
		LC_ALL=C sort)
	if [[ $want != "$got" ]]; then
		diff <(echo "$want") <(echo "$got") >&2 || true
		fail "Swagger UI rendered other operations than the document's"
	fi
	assert_eq "$(wc -l <<<"$want")" "$(grep -oE 'class="opblock opblock-[a-z]+' "$scratch/dom" | wc -l)" "div.opblock count"
	! grep -q 'errors-wrapper' "$scratch/dom" || fail "Swagger UI shows errors: $(grep -oE 'errors-wrapper.{0,300}' "$scratch/dom")"
	grep -q 'class="btn authorize' "$scratch/dom" || fail "no Authorize button"
	echo "/docs: $(wc -l <<<"$got") operations rendered"
	# ReDoc: a section per operation (id operation/<operationId>) with its summary.
	openapi_dump_dom /redoc
	while read -r id; do
		grep -qF "\"operation/$id\"" "$scratch/dom" || fail "ReDoc rendered no operation/$id"
	done < <(jq -r '.paths[][] | objects | select(has("operationId")) | .operationId' "$doc")
	while IFS= read -r summary; do
		grep -qF ">$summary<" "$scratch/dom" || fail "ReDoc does not show \"$summary\""
	done < <(jq -r '.paths[][] | objects | select(has("summary")) | .summary' "$doc")
	! grep -qi 'Something went wrong' "$scratch/dom" || fail "ReDoc failed to render"
	echo "/redoc: every operation rendered"
}

# ---- Authorize and Try it out

test_openapi_oauth2_password_flow_pieces() {
	local email pw
	openapi_fetch
	assert_eq oauth2 "$(jqb '.components.securitySchemes.OAuth2PasswordBearer.type')" "security scheme type"
	assert_eq /api/v1/auth/login "$(jqb '.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl')" "tokenUrl"
	assert_eq '["password","username"]' \
		"$(jq -c '.components.schemas.LoginForm.required | sort' "$doc")" "the form's required fields"
	jq -e '.paths["/api/v1/auth/login"].post.requestBody.content | has("application/x-www-form-urlencoded") and has("application/json")' \
		"$doc" >/dev/null || fail "login documents no form or no JSON body"
	email=$(new_email)
	pw="$(new_password) +&=%é"
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$email" password "$pw" name Swagger)"
	assert_status 201
	local enc_email enc_pw
	enc_email=$(jq -rn --arg v "$email" '$v|@uri')
	enc_pw=$(jq -rn --arg v "$pw" '$v|@uri')
	# The two forms Swagger UI's Authorize dialog sends: client credentials
	# in an Authorization: Basic header (its default; none given is ":"), or
	# in the body; both with grant_type and scope.
	local form
	for form in "grant_type=password&scope=&username=$enc_email&password=$enc_pw" \
		"grant_type=password&scope=&username=$enc_email&password=${enc_pw//%20/+}&client_id=docs&client_secret=s3cret"; do
		get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
			-H 'Accept: application/json, text/plain, */*' -H 'X-Requested-With: XMLHttpRequest' \
			-H 'Authorization: Basic Og==' --data-binary "$form"
		assert_status 200
		assert_json .token_type bearer
		me "$(jqb .access_token)"
		assert_status 200
		assert_json .email "$email"
	done
}

# The real thing: Swagger UI in headless Chromium, driven over the DevTools
# Protocol: Authorize with the email and password, close the dialog, open
# GET /api/v1/auth/me, Try it out, Execute: 200 and the user. Served under a
# name other than 127.0.0.1 (Swagger UI treats localhost specially), with
# every other host unresolvable: no request leaves for another host, on
# /docs or /redoc.
test_openapi_swagger_ui_authorize_and_try_it_out_in_chromium() {
	local email pw
	command -v chromium >/dev/null || fail "Debian's chromium is not installed"
	"$py" -c 'import websocket' 2>/dev/null || fail "Debian's python3-websocket is not installed"
	openapi_fetch
	email=$(new_email)
	pw="$(new_password) +&"
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$email" password "$pw" name "Swagger User")"
	assert_status 201
	"$py" - "$repo/tests/bench" "http://$docs_host:$STACK_PORT" "$email" "$pw" "$doc" <<'EOF'
import json, sys, time, urllib.parse
sys.path.insert(0, sys.argv[1])
from docs_render import Chromium, Page

base, email, password, doc_path = sys.argv[2:6]
host = urllib.parse.urlsplit(base).hostname
doc = json.load(open(doc_path))
n_ops = sum(1 for item in doc["paths"].values() for m in item if m in ("get", "put", "post", "delete"))

SET_INPUT = """((sel, value) => {
  const el = document.querySelector(sel);
  if (!el) return false;
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, value);
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
})(%s, %s)"""
CLICK = "(sel => { const e = document.querySelector(sel); if (!e) return false; e.click(); return true; })(%s)"
CLICK_BUTTON = """((scope, text) => {
  const s = document.querySelector(scope);
  const b = s && Array.from(s.querySelectorAll('button')).find(b => b.textContent.trim() === text);
  if (!b) return false; b.click(); return true;
})(%s, %s)"""

def click(page, sel):
    if not page.eval(CLICK % json.dumps(sel)):
        sys.exit("nothing to click: " + sel)

def foreign(page):
    bad = []
    for e in page.events("Network.requestWillBeSent"):
        url = e["request"]["url"]
        if url.startswith(("data:", "blob:")):  # made in the page itself
            continue
        if urllib.parse.urlsplit(url).hostname != host:
            bad.append(url)
    return bad

rules = ["--host-resolver-rules=MAP %s 127.0.0.1, MAP * ~NOTFOUND" % host]
with Chromium(rules) as browser:
    page = Page(browser)
    for domain in ("Network", "Page", "Runtime"):
        page.send(domain + ".enable")
    page.send("Page.navigate", {"url": base + "/docs"})
    n = page.wait_for("document.querySelectorAll('.opblock').length === %d" % n_ops, timeout=15)
    click(page, ".auth-wrapper .btn.authorize")
    page.wait_for("!!document.querySelector('#oauth_username')")
    if not page.eval(SET_INPUT % (json.dumps("#oauth_username"), json.dumps(email))):
        sys.exit("no username field")
    if not page.eval(SET_INPUT % (json.dumps("#oauth_password"), json.dumps(password))):
        sys.exit("no password field")
    # The Authorize button of the OAuth2 scheme's part of the dialog.
    page.eval("document.querySelector('#oauth_username').closest('.auth-container').id = 'oauth2-container'")
    if not page.eval(CLICK_BUTTON % (json.dumps("#oauth2-container"), json.dumps("Authorize"))):
        sys.exit("no Authorize button in the OAuth2 part of the dialog")
    try:
        page.wait_for("Array.from(document.querySelectorAll('#oauth2-container button'))"
                      ".some(b => b.textContent.trim() === 'Logout')", timeout=10)
    except TimeoutError:
        sys.exit("Authorize did not log in: %s" % page.eval(
            "Array.from(document.querySelectorAll('.auth-container .errors')).map(e => e.textContent).join('; ')"))
    click(page, ".btn-done")
    op = "#operations-auth-read_me"
    click(page, op + " .opblock-summary")
    page.wait_for("!!document.querySelector('%s .try-out__btn')" % op)
    click(page, op + " .try-out__btn")
    page.wait_for("!!document.querySelector('%s .btn.execute')" % op)
    click(page, op + " .btn.execute")
    status = page.wait_for("(() => { const e = document.querySelector('%s .live-responses-table .response "
                           ".response-col_status'); return e && e.textContent.trim(); })()" % op, timeout=10)
    shown = page.eval("(() => { const e = document.querySelector('%s .live-responses-table .response-col_description "
                      "pre'); return e && e.textContent; })()" % op)
    if status != "200":
        sys.exit("Try it out on GET /api/v1/auth/me: %s %s" % (status, shown))
    if json.loads(shown)["email"] != email:
        sys.exit("Try it out on GET /api/v1/auth/me showed another user: %s" % shown)
    # What went over the wire: the login form to tokenUrl, then the bearer.
    sent = {e["requestId"]: e["request"] for e in page.events("Network.requestWillBeSent")}
    got = {e["requestId"]: e["response"]["status"] for e in page.events("Network.responseReceived")}
    logins = [(sent[r], got.get(r)) for r in sent if sent[r]["url"] == base + "/api/v1/auth/login"]
    if len(logins) != 1 or logins[0][0]["method"] != "POST" or logins[0][1] != 200:
        sys.exit("the login requests: %s" % [(r["method"], s) for r, s in logins])
    form = urllib.parse.parse_qs(logins[0][0].get("postData", ""), keep_blank_values=True)
    if form.get("grant_type") != ["password"] or form.get("username") != [email] or form.get("password") != [password]:
        sys.exit("the Authorize dialog sent the form with fields %s" % sorted(form))
    mes = [r for r in sent.values() if r["url"] == base + "/api/v1/auth/me"]
    if not mes or not mes[-1]["headers"].get("Authorization", "").startswith("Bearer "):
        sys.exit("Try it out sent no bearer token")
    bad = foreign(page)
    print("Swagger UI: %d operations, Authorize (form fields %s) then Try it out on GET /api/v1/auth/me: %s"
          % (n_ops, ",".join(sorted(form)), status))
    # /redoc, in the same browser: it renders, and asks no other host either.
    page.send("Page.navigate", {"url": base + "/redoc"})
    page.wait_for("document.querySelectorAll('[id^=\"operation/\"]').length >= %d" % n_ops, timeout=15)
    time.sleep(0.5)
    bad += foreign(page)
    if bad:
        sys.exit("requests to other hosts: %s" % sorted(set(bad)))
    hosts = sorted({urllib.parse.urlsplit(e["request"]["url"]).netloc for e in page.events("Network.requestWillBeSent")
                    if not e["request"]["url"].startswith(("data:", "blob:"))})
    print("ReDoc rendered; every request went to %s" % hosts)
EOF
}
