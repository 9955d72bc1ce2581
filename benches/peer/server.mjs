// panva's oidc-provider set up as Sesame's benchmark peer: RS256 ID tokens,
// opaque access tokens, rotating refresh tokens, client_credentials, PKCE,
// the default in-memory adapter, and a login interaction that signs the one
// bench account in at once (the benchmark measures the protocol, not a form).
// Usage: node server.mjs PORT
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'app',
      client_secret: 'app-secret-for-the-benchmark-only-0123456789',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
    },
    {
      client_id: 'service',
      client_secret: 'service-secret-for-the-benchmark-only-012345',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['bench-cookie-signing-key-0123456789abcdef'] },
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
  },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: 'Bench User', preferred_username: 'bench', email: 'bench@example.com', email_verified: true }),
  }),
  // Sesame issues a refresh token with every code exchange for this client.
  issueRefreshToken: async () => true,
  rotateRefreshToken: true,
  // Consent given once (Sesame's first-party clients skip consent).
  loadExistingGrant: async (ctx) => {
    const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) {
      const grant = await ctx.oidc.provider.Grant.find(existing);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});

const callback = provider.callback();
http
  .createServer(async (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      try {
        await provider.interactionDetails(req, res);
        await provider.interactionFinished(req, res, { login: { accountId: 'bench-user' } }, { mergeWithLastSubmission: false });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
      return;
    }
    callback(req, res);
  })
  .listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
