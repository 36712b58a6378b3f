// The OAuth 2.1 resource-server half of HTTP mode: the authorization server's metadata and
// JWKS are discovered once at start-up, and each access token is verified locally (signature,
// issuer, audience = this server's public URL, expiry) with jose. The SDK's bearer helpers turn
// a failure into the 401/403 answers with their WWW-Authenticate challenge. The token itself is
// never forwarded anywhere: Viam and Latitude.sh are called with the server's own credentials.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { OAuthError, OAuthErrorCode } from "@modelcontextprotocol/server";
import type { AuthInfo, OAuthMetadata, OAuthTokenVerifier } from "@modelcontextprotocol/server";
import type { Principal } from "../mcp/tool-definition.js";

export type { Principal };

/** Read tools need this scope; so does any request to /mcp. */
export const READ_SCOPE = "billing:read";
/** Write tools need this one as well (and a server started with writes enabled). */
export const WRITE_SCOPE = "billing:write";


const DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * The authorization server's metadata: RFC 8414 first (the well-known path inserted before
 * the issuer's path), then OpenID Connect discovery. Its `issuer` must be the one configured.
 */
export async function discoverIssuer(issuer: string): Promise<OAuthMetadata> {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, "");
  const candidates = [
    new URL(`/.well-known/oauth-authorization-server${path}`, url.origin),
    new URL(`${path}/.well-known/openid-configuration`, url.origin),
    new URL(`/.well-known/openid-configuration${path}`, url.origin),
  ];
  const problems: string[] = [];
  for (const candidate of candidates) {
    let response: Response;
    try {
      response = await fetch(candidate, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    } catch (err) {
      problems.push(`${candidate.href}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (!response.ok) {
      problems.push(`${candidate.href}: HTTP ${response.status}`);
      continue;
    }
    const metadata = (await response.json().catch(() => undefined)) as OAuthMetadata | undefined;
    if (!metadata || typeof metadata.issuer !== "string") {
      problems.push(`${candidate.href}: not an authorization server metadata document`);
      continue;
    }
    // RFC 8414 section 3.3: a document naming another issuer is not this issuer's.
    if (metadata.issuer.replace(/\/+$/, "") !== issuer.replace(/\/+$/, "")) throw new Error(`the metadata at ${candidate.href} names issuer ${metadata.issuer}, not ${issuer}`);
    if (typeof metadata.jwks_uri !== "string") throw new Error(`the authorization server ${issuer} publishes no jwks_uri; billing-mcp verifies JWT access tokens against its keys`);
    return metadata;
  }
  throw new Error(`no authorization server metadata found for ${issuer} (${problems.join("; ")})`);
}

/** Verifies JWT access tokens issued by `metadata.issuer` for `audience`, locally against the issuer's JWKS. */
export function jwtVerifier(metadata: OAuthMetadata, audience: string): OAuthTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri as string), { timeoutDuration: DISCOVERY_TIMEOUT_MS });
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, { issuer: metadata.issuer, audience }));
      } catch (err) {
        throw new OAuthError(OAuthErrorCode.InvalidToken, invalidTokenReason(err));
      }
      const clientId = typeof payload.client_id === "string" ? payload.client_id : typeof payload.azp === "string" ? payload.azp : "";
      const subject = typeof payload.sub === "string" ? payload.sub : clientId;
      if (!subject) throw new OAuthError(OAuthErrorCode.InvalidToken, "the token names no subject (sub) or client (client_id)");
      const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
      const principal: Principal = { subject, clientId };
      // jose has checked the audience: the token was issued for this resource.
      return { token, clientId, scopes, expiresAt: payload.exp, resource: new URL(audience), extra: { principal } };
    },
  };
}

/** A short reason for a refused token, safe to send back (it names no key material). */
function invalidTokenReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "the token has expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted here`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) return "the token's signature does not verify against the authorization server's keys";
  if (err instanceof joseErrors.JWKSTimeout) return "the authorization server's keys could not be fetched in time";
  return "the token is not a valid JWT access token from the configured authorization server";
}

/** The principal a verified request carries, if any. */
export function principalOf(authInfo: AuthInfo | undefined): Principal | undefined {
  const principal = authInfo?.extra?.principal as Principal | undefined;
  return principal && typeof principal.subject === "string" ? principal : undefined;
}
