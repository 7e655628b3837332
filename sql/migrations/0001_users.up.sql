-- 0001_users: the users of the suite (api.md, "Resources" and "Validation").
-- The rules the API enforces are backed here too, so that no path around
-- the API can store what it would refuse.

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    hashed_password text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- ASCII, one @, at most 254 characters, the domain stored lower-case.
    CONSTRAINT users_email_format CHECK (
        char_length(email) <= 254
        AND email ~ '^[\x21-\x3f\x41-\x7e]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$'
    ),
    -- bcrypt, $2b$, as libxcrypt writes it: 60 characters.
    CONSTRAINT users_hashed_password_bcrypt CHECK (hashed_password ~ '^\$2b\$[0-9]{2}\$[./A-Za-z0-9]{53}$'),
    -- 1 to 100 code points, stored trimmed of the whitespace Python's
    -- str.strip() removes, no control characters (Unicode category Cc).
    CONSTRAINT users_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT users_name_trimmed CHECK (
        name !~ '^[\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
        AND name !~ '[\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$'
    ),
    CONSTRAINT users_name_no_control CHECK (name !~ '[\u0001-\u001f\u007f-\u009f]'),
    CONSTRAINT users_updated_after_created CHECK (updated_at >= created_at)
);

-- Uniqueness regardless of case, enforced by the database: concurrent
-- registrations of one address get one success and unique violations.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- updated_at moves on every update, whoever writes the row.
CREATE FUNCTION users_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := greatest(now(), OLD.created_at);
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_touch_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_touch_updated_at();
