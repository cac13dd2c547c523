//! The `OpenAPI` 3.1 description of the JSON API, served at `/api/openapi.json`.

use serde_json::{json, Value};

/// Every API operation as (method, path); the router test checks each is routed.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("post", "/api/v1/sessions"),
    ("delete", "/api/v1/sessions"),
    ("get", "/api/v1/applications"),
    ("post", "/api/v1/applications"),
    ("get", "/api/v1/queue"),
    ("get", "/api/v1/applications/{id}"),
    ("put", "/api/v1/applications/{id}"),
    ("post", "/api/v1/applications/{id}/submit"),
    ("post", "/api/v1/applications/{id}/review"),
    ("post", "/api/v1/applications/{id}/paper"),
    ("post", "/api/v1/badges/{code}/status"),
    ("post", "/api/v1/badges/{code}/change"),
    ("post", "/api/v1/badges/{code}/cancel"),
    ("get", "/api/v1/badges/{code}/requests"),
    ("post", "/api/v1/site-requests/{id}/decision"),
    ("get", "/api/v1/deadline"),
    ("get", "/api/v1/accounts"),
    ("post", "/api/v1/accounts"),
    ("post", "/api/v1/accounts/{id}/disabled"),
];

/// The `OpenAPI` 3.1 description of the JSON API, served at `/api/openapi.json`.
pub fn document() -> Value {
    let form_fields = crate::domain::application::FORM_FIELDS;
    let form_props: serde_json::Map<String, Value> =
        form_fields.iter().map(|f| ((*f).to_owned(), json!({ "type": "string" }))).collect();
    let error = json!({ "description": "错误", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let app = json!({ "description": "申请", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Application" } } } });
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let step = |decisions: &[&str]| {
        json!({
            "required": true,
            "content": { "application/json": { "schema": {
                "type": "object", "required": ["version", "decision"],
                "properties": { "version": { "type": "integer" }, "decision": { "enum": decisions }, "reason": { "type": "string" },
                    "checklist": { "type": "array", "items": { "type": "string" },
                        "description": "通过须全部核对：qualification、contacts、site_name、domain；接收书面材料须全部核对：letter、form、id_copy、credit_certificate" } }
            } } }
        })
    };
    let auth = json!([{ "bearer": [] }]);
    let queue = json!({
        "get": { "summary": "待我办理：本审核人员当前应办理的申请，每页50件，等候最久的在前", "security": auth, "parameters": [
            { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "default": 1 } } ],
            "responses": { "200": { "description": "一页待办申请：items、total（待办总数）、overdue（其中已超期件数）、page、pages、page_size；unreadable：数据异常、未列出的申请编号。非审核人员为空" }, "400": error, "401": error } }
    });
    let mut document = json!({
        "openapi": "3.1.0",
        "info": { "title": "govbadge 党政机关网站标识管理 API", "version": env!("CARGO_PKG_VERSION") },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "properties": { "error": { "type": "string" }, "fields": { "type": "object", "additionalProperties": { "type": "string" } } } },
                "ApplicationInput": { "type": "object", "properties": form_props },
                "Application": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "state": { "type": "string" }, "version": { "type": "integer" },
                    "round": { "type": "integer" }, "due": { "type": ["string", "null"] }, "overdue": { "type": "boolean" },
                    "badge_code": { "type": ["string", "null"] }, "form": { "$ref": "#/components/schemas/ApplicationInput" },
                    "history": { "type": "array" }, "actions": { "type": "array", "items": { "type": "string" } }
                } }
            }
        },
        "paths": {
            "/api/v1/sessions": {
                "post": { "summary": "登录，取得令牌", "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["name", "password"], "properties": { "name": { "type": "string" }, "password": { "type": "string" } } } } } },
                    "responses": { "201": { "description": "令牌" }, "401": error, "429": error } },
                "delete": { "summary": "退出登录", "security": auth, "responses": { "204": { "description": "已退出" }, "401": error } }
            },
            "/api/v1/applications": {
                "get": { "summary": "可见的申请列表，每页50件，最近变更的在前", "security": auth, "parameters": [
                    { "name": "q", "in": "query", "description": "开办主体、网站名称、域名或网站标识代码中的文字", "schema": { "type": "string", "maxLength": 50 } },
                    { "name": "state", "in": "query", "description": "申请状态（如 county_review、issued）", "schema": { "type": "string" } },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "default": 1 } } ],
                    "responses": { "200": { "description": "一页申请：items、total、page、pages、page_size；unreadable：数据异常、未列出的申请编号" }, "400": error, "401": error, "403": error } },
                "post": { "summary": "新建申请（草稿或直接提交）", "security": auth,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "allOf": [ { "$ref": "#/components/schemas/ApplicationInput" }, { "type": "object", "properties": { "submit": { "type": "boolean" } } } ] } } } },
                    "responses": { "201": app, "403": error, "422": error } }
            },
            "/api/v1/applications/{id}": {
                "parameters": [id_param],
                "get": { "summary": "申请详情及审核记录", "security": auth, "responses": { "200": app, "404": error } },
                "put": { "summary": "修改申请（草稿、退回或材料有误时）", "security": auth,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "allOf": [ { "$ref": "#/components/schemas/ApplicationInput" }, { "type": "object", "required": ["version"], "properties": { "version": { "type": "integer" }, "submit": { "type": "boolean" } } } ] } } } },
                    "responses": { "200": app, "409": error, "422": error } }
            },
            "/api/v1/applications/{id}/submit": {
                "parameters": [id_param],
                "post": { "summary": "提交申请", "security": auth, "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["version"], "properties": { "version": { "type": "integer" } } } } } },
                    "responses": { "200": app, "409": error, "422": error } }
            },
            "/api/v1/applications/{id}/review": {
                "parameters": [id_param],
                "post": { "summary": "在线审核（通过或不通过）", "security": auth, "requestBody": step(&["approve", "reject"]), "responses": { "200": app, "403": error, "409": error, "422": error } }
            },
            "/api/v1/applications/{id}/paper": {
                "parameters": [id_param],
                "post": { "summary": "书面材料：接收、确认（发放标识）或退回", "security": auth, "requestBody": step(&["receive", "confirm", "confirm_new_code", "problem", "file"]), "responses": { "200": app, "403": error, "409": error, "422": error } }
            },
            "/api/v1/badges/{code}/status": {
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
                "post": { "summary": "暂停、恢复或撤销网站标识", "security": auth, "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["status", "reason"], "properties": { "status": { "enum": ["active", "suspended", "revoked"] }, "reason": { "type": "string" } } } } } },
                    "responses": { "200": { "description": "新状态" }, "403": error, "422": error } }
            },
            "/api/v1/badges/{code}/change": {
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
                "post": { "summary": "申请变更网站名称、域名或联系人（开办主体；经本级机构编制部门审核后生效）", "security": auth,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["changes"], "properties": {
                        "changes": { "type": "object", "additionalProperties": { "type": "string" }, "description": "字段 → 新值：site_name、domain_cn、domain_en、principal_*、handler_*" },
                        "reason": { "type": "string" } } } } } },
                    "responses": { "201": { "description": "已提交" }, "404": error, "422": error } }
            },
            "/api/v1/badges/{code}/cancel": {
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
                "post": { "summary": "申请注销网站（开办主体）", "security": auth,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["reason"], "properties": { "reason": { "type": "string" } } } } } },
                    "responses": { "201": { "description": "已提交" }, "404": error, "422": error } }
            },
            "/api/v1/badges/{code}/requests": {
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
                "get": { "summary": "网站的变更与注销申请记录", "security": auth, "responses": { "200": { "description": "列表" }, "404": error } }
            },
            "/api/v1/site-requests/{id}/decision": {
                "parameters": [id_param],
                "post": { "summary": "审核变更或注销申请（本级机构编制部门）", "security": auth,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["decision"], "properties": {
                        "decision": { "enum": ["approve", "reject"] }, "reason": { "type": "string" } } } } } },
                    "responses": { "200": { "description": "已审核" }, "403": error, "404": error, "422": error } }
            },
            "/api/v1/accounts": {
                "get": { "summary": "账号列表，每页50个（系统管理员）", "security": auth, "parameters": [
                    { "name": "q", "in": "query", "description": "账号或名称中的文字", "schema": { "type": "string", "maxLength": 50 } },
                    { "name": "role", "in": "query", "schema": { "enum": ["", "unit", "reviewer", "supervisor", "admin"] } },
                    { "name": "region", "in": "query", "description": "行政区划代码（含下级）", "schema": { "type": "string", "pattern": "^[0-9]{6}$" } },
                    { "name": "state", "in": "query", "schema": { "enum": ["", "enabled", "disabled", "awaiting"] } },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "default": 1 } } ],
                    "responses": { "200": { "description": "一页账号：items、total、page、pages、page_size；unreadable：数据异常、未列出的账号编号" }, "400": error, "403": error } },
                "post": { "summary": "新建账号（系统管理员）", "security": auth, "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["name", "display_name", "role", "password"],
                    "properties": { "name": { "type": "string" }, "display_name": { "type": "string" }, "role": { "enum": ["unit", "reviewer", "supervisor", "admin"] },
                        "level": { "enum": ["", "county", "city", "province", "central"] }, "region": { "type": "string" }, "password": { "type": "string", "minLength": 10 },
                        "email": { "type": "string", "format": "email" }, "mobile": { "type": "string", "pattern": "^1[0-9]{10}$" } } } } } },
                    "responses": { "201": { "description": "已创建" }, "403": error, "422": error } }
            },
            "/api/v1/accounts/{id}/disabled": {
                "parameters": [id_param],
                "post": { "summary": "停用或启用账号（系统管理员）", "security": auth, "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["disabled"], "properties": { "disabled": { "type": "boolean" } } } } } },
                    "responses": { "204": { "description": "已更新" }, "403": error, "404": error } }
            },
            "/api/v1/deadline": {
                "get": { "summary": "工作日期限计算", "parameters": [
                    { "name": "date", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
                    { "name": "days", "in": "query", "schema": { "type": "integer", "default": 5 } } ],
                    "responses": { "200": { "description": "期限" }, "400": error } }
            }
        }
    });
    // Added apart: the document is at the json! macro's recursion limit.
    document["paths"]["/api/v1/queue"] = queue;
    document
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_lists_every_operation() {
        let doc = super::document();
        for (method, path) in super::OPERATIONS {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
    }
}
