// GET /docs (Swagger UI) and GET /redoc (ReDoc): pages that render
// /openapi.json with scripts nginx serves under /_assets/, as FastAPI's do
// with a CDN's.
#include "libcommon/http_exchange.hpp"
#include "services/users-api/routes.hpp"

namespace usersuite::users_api {

namespace {

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// An HTML5 page; head and body are ours, only the title comes from config.
std::string html_page(const std::string& title, const std::string& head, const std::string& body) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>" + html_escape(title) + "</title>\n" + head + "</head>\n<body>\n" + body + "</body>\n</html>\n";
}

std::string swagger_ui_page(const std::string& project_name) {
    return html_page(project_name + " - Swagger UI",
                     "<link rel=\"stylesheet\" href=\"/_assets/swagger-ui/swagger-ui.css\">\n",
                     "<div id=\"swagger-ui\"></div>\n"
                     "<script src=\"/_assets/swagger-ui/swagger-ui-bundle.js\"></script>\n"
                     "<script>\n"
                     "window.ui = SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,\n"
                     "  presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout', validatorUrl: null});\n"
                     "</script>\n");
}

std::string redoc_page(const std::string& project_name) {
    return html_page(project_name + " - ReDoc", "<style>body { margin: 0; padding: 0; }</style>\n",
                     "<redoc spec-url=\"/openapi.json\"></redoc>\n"
                     "<script src=\"/_assets/redoc/redoc.standalone.js\"></script>\n");
}

}  // namespace

void add_docs_routes(Router& router, const std::string& project_name) {
    std::string docs = swagger_ui_page(project_name);
    std::string redoc = redoc_page(project_name);
    router.add("GET", "/docs", [docs](const std::shared_ptr<Exchange>& ex) {
        ex->reply_text(200, "text/html; charset=utf-8", docs);
    });
    router.add("GET", "/redoc", [redoc](const std::shared_ptr<Exchange>& ex) {
        ex->reply_text(200, "text/html; charset=utf-8", redoc);
    });
}

}  // namespace usersuite::users_api
