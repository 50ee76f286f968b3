/**
 * The Klear Karma API for TypeScript: `import { KlearKarmaClient } from "@klearkarma/sdk"`.
 *
 * Namespaces, methods and types are generated from the API's OpenAPI document by
 * `kk generate` (src/generated/); the rest is the runtime. Webhook verification (Node only)
 * is in `@klearkarma/sdk/webhooks`.
 */

export { KlearKarmaClient, type KlearKarmaClientOptions, resolveUrls } from "./client.js";
export {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConfigurationError,
  ConflictError,
  type ErrorObject,
  InternalServerError,
  KlearKarmaError,
  NotFoundError,
  OAuthError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
  WebhookSignatureError,
} from "./errors.js";
export * from "./generated/resources.js";
export { API_VERSION, ENVIRONMENTS, type Environment } from "./generated/spec.js";
export type * from "./generated/types.js";
export { OAuth } from "./login.js";
export { type AuthorizationRequest, challengeOf, generatePKCE, type PKCE, type TokenSet } from "./oauth.js";
export type { ListMeta, Page } from "./pagination.js";
export type { RetryOptions } from "./retry.js";
