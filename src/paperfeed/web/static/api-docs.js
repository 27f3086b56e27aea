// Start Swagger UI on /api/docs (a file, not an inline script: the Content-Security-Policy allows
// scripts from this site only). The bundle comes from the fastapi-offline package, loaded before this.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.openapi,
  domNode: root,
  layout: "BaseLayout",
  presets: [window.SwaggerUIBundle.presets.apis],
  deepLinking: true,
  docExpansion: "list",
  validatorUrl: null, // the badge would load an image from validator.swagger.io
  tryItOutEnabled: false,
});

// Swagger UI's dark theme follows the system setting, as the rest of the site does.
const dark = window.matchMedia("(prefers-color-scheme: dark)");
const followScheme = () => document.documentElement.classList.toggle("dark-mode", dark.matches);
followScheme();
dark.addEventListener("change", followScheme);
