// Swagger UI on the gateway's own /openapi.json: "Try it out" calls the live
// stack on the same origin.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // The token typed into "Authorize" survives a reload of the page.
    persistAuthorization: true,
  });
};
