// Signs a Tenure widget member token on a Node.js backend (docs/widget.md, "Member tokens").
// Node's standard library only. Keep the widget secret (tnw_...) on the server, like a
// password; sign a token for the signed-in customer on each page view and put it in the
// widget tag's data-token attribute.
//
//   const { memberToken } = require("./member-token");
//   const token = memberToken(process.env.TENURE_WIDGET_SECRET, process.env.TENURE_TENANT_ID, customer.id);
//
// Run directly, it prints a token: node member-token.js <secret> <tenant id> <customer id> [ttl seconds]
"use strict";

const crypto = require("node:crypto");

const MAX_TTL_SECONDS = 24 * 60 * 60;

function memberToken(secret, tenantId, customerId, ttlSeconds = 3600, now = Date.now()) {
  if (!secret || !tenantId || !customerId) {
    throw new Error("memberToken: secret, tenant id and customer id are required");
  }
  if (!(ttlSeconds > 0 && ttlSeconds <= MAX_TTL_SECONDS)) {
    throw new Error("memberToken: the lifetime must be between 1 second and 24 hours");
  }
  const iat = Math.floor(now / 1000);
  const claims = {
    tenant: tenantId,
    member: String(customerId),
    iat: iat,
    exp: iat + ttlSeconds,
    nonce: crypto.randomBytes(12).toString("base64url"),
  };
  // The signature covers the payload as encoded, so no JSON canonicalisation is needed.
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const signature = crypto.createHmac("sha256", secret).update(payload).digest("base64url");
  return payload + "." + signature;
}

module.exports = { memberToken };

if (require.main === module) {
  const [secret, tenantId, customerId, ttl] = process.argv.slice(2);
  process.stdout.write(memberToken(secret, tenantId, customerId, ttl ? Number(ttl) : 3600) + "\n");
}
