// The bearer token this browser authorized /docs with: Swagger UI keeps it in localStorage
// ("authorized", persistAuthorization) for the OAuth sign-in or a pasted token / API key.
// GraphiQL at /graphql sends the same one, so a developer signs in once.
window.kkSavedToken = function () {
  try {
    const saved = JSON.parse(localStorage.getItem("authorized") || "{}");
    for (const scheme of Object.values(saved)) {
      const token = (scheme && scheme.token && scheme.token.access_token) || (scheme && scheme.value);
      if (typeof token === "string" && token) return token;
    }
  } catch (e) {
    // unreadable or foreign data: no token
  }
  return null;
};
