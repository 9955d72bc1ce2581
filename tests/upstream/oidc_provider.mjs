// panva's oidc-provider (OpenID Certified) as an upstream provider for
// Sesame's federation test: code flow with PKCE, RS256 ID tokens with `sid`
// and `amr`, client authentication by private_key_jwt,
// RP-initiated and back-channel logout, and open dynamic registration that
// hands out the client id and secret the test configured Sesame with (so
// Sesame can start first and register its own redirect URI). Its one
// account, olivia, is signed in by the interaction at once.
// Usage: node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET (the secret
// unused when the client registers private_key_jwt)
// (run from a folder whose node_modules has oidc-provider and jose:
// `bash .ci/services` installs them into target/oidc-upstream).
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const issuer = `http://localhost:${port}`;
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'upstream', alg: 'RS256', use: 'sig' };

const olivia = {
  sub: 'olivia-0001',
  preferred_username: 'olivia',
  name: 'Olivia Upstream',
  email: 'olivia@partner.example',
  email_verified: true,
  groups: ['writers'],
};

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: ['upstream-cookie-signing-key-0123456789abcdef'] },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    registration: { enabled: true, idFactory: () => clientId, secretFactory: () => clientSecret },
  },
  pkce: { required: () => true },
  // Sesame listens on loopback in the test: oidc-provider's guard against
  // special-use addresses (its dispatcher) would refuse to tell it.
  fetch: (url, options) => {
    delete options.dispatcher;
    return globalThis.fetch(url, options);
  },
  claims: {
    // amr with the openid scope: in every ID token.
    openid: ['sub', 'amr'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ ...olivia, sub }) }),
  loadExistingGrant: async (ctx) => {
    const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) {
      const grant = await ctx.oidc.provider.Grant.find(existing);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});

// What goes wrong telling Sesame shows in the test's output.
provider.on('backchannel.error', (ctx, error) => console.error(`backchannel logout failed: ${error.message}`));

const callback = provider.callback();
http
  .createServer(async (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      try {
        await provider.interactionDetails(req, res);
        // Olivia signs in with two factors there (`amr`).
        const login = { accountId: olivia.sub, amr: ['pwd', 'otp', 'mfa'] };
        await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
      return;
    }
    callback(req, res);
  })
  .on('error', (error) => {
    console.log(`failed ${error.code}`);
    process.exit(1);
  })
  .listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
