// Swagger UI on the hub's own OpenAPI document (served locally: no CDN).
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: false,
    validatorUrl: null,
  });
});
