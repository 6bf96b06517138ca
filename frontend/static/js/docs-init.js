// Starts the vendored Swagger UI on /docs (a file, not an inline script: the page's CSP allows no inline code).
const holder = document.getElementById("swagger-ui");
window.ui = window.SwaggerUIBundle({
  url: holder.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [window.SwaggerUIBundle.presets.apis],
  persistAuthorization: false,
  validatorUrl: null, // the default badge calls an online validator
});
