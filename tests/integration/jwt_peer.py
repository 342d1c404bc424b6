#!/usr/bin/python3
"""The peers' side of tests/integration/oauth.bats, by Debian's libraries:

  jwt_peer.py verify BASE TOKEN ISS   PyJWT's PyJWKClient: our JWKS verifies
                                      TOKEN; prints its header and claims
  jwt_peer.py oauthlib BASE USER PW   requests-oauthlib's password grant
                                      (LegacyApplicationClient); prints the
                                      access token
  jwt_peer.py forge KEY CASE ISS      a token signed with PEM KEY (ours or
                                      another) that breaks one rule (CASE)
  jwt_peer.py hash PASSWORD [default] argon2-cffi's hash of PASSWORD (at
                                      OWASP's floor, or its own defaults)
"""
import json
import sys
import time
import uuid


def verify(base, token, iss):
    import jwt
    client = jwt.PyJWKClient(base + "/.well-known/jwks.json")
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"],
                        audience="cgi-microservices", issuer=iss)
    print(json.dumps({"header": jwt.get_unverified_header(token),
                      "claims": claims}, sort_keys=True))


def oauthlib(base, user, pw):
    import os
    from oauthlib.oauth2 import LegacyApplicationClient
    from requests_oauthlib import OAuth2Session
    # A test over plain HTTP on loopback.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    s = OAuth2Session(client=LegacyApplicationClient(client_id="oauthlib"))
    tok = s.fetch_token(token_url=base + "/token", username=user, password=pw)
    r = s.get(base + "/info")
    print(tok["token_type"], tok["expires_in"], r.status_code, r.text)


def forge_many(key_file, case, iss, n, ttl="600"):
    for _ in range(int(n)):
        forge(key_file, case, iss, ttl)


def forge(key_file, case, iss, ttl="600"):
    import base64
    import jwt
    from cryptography.hazmat.primitives import serialization
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    thumb = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x},
                       separators=(",", ":"), sort_keys=True).encode()
    import hashlib
    kid = base64.urlsafe_b64encode(hashlib.sha256(thumb).digest()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"iss": iss, "sub": "alice", "aud": "cgi-microservices",
              "exp": now + int(ttl), "iat": now, "jti": uuid.uuid4().hex,
              "scope": "info:read"}
    headers = {"kid": kid, "typ": "at+jwt"}
    alg = "EdDSA"
    if case == "valid":
        pass
    elif case == "expired":
        claims["exp"] = now - 60
    elif case == "not-yet":
        claims["nbf"] = now + 120
    elif case == "wrong-iss":
        claims["iss"] = "https://evil.example"
    elif case == "wrong-aud":
        claims["aud"] = "someone-else"
    elif case == "typ-jwt":
        headers["typ"] = "JWT"
    elif case == "jku":
        headers["jku"] = "https://evil.example/jwks.json"
    elif case == "jwk":
        headers["jwk"] = {"kty": "OKP", "crv": "Ed25519", "x": x}
    elif case == "unknown-kid":
        headers["kid"] = "not-a-key-of-auth"
    elif case == "random-kid":
        headers["kid"] = uuid.uuid4().hex
    elif case == "no-user":
        claims["sub"] = "mallory"
    elif case == "huge":
        claims["pad"] = "p" * 6500
    elif case == "none":
        h = base64.urlsafe_b64encode(json.dumps(
            {"alg": "none", "typ": "at+jwt", "kid": kid}).encode()).rstrip(b"=")
        c = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
        print((h + b"." + c + b".").decode())
        return
    elif case == "hs256":
        # The public key's bytes as an HMAC secret: alg confusion.
        print(jwt.encode(claims, raw, algorithm="HS256", headers=headers))
        return
    else:
        sys.exit("unknown case " + case)
    print(jwt.encode(claims, key, algorithm=alg, headers=headers))


def hash_(pw, how="floor"):
    import argon2
    h = argon2.PasswordHasher() if how == "default" else \
        argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    print(h.hash(pw))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"verify": verify, "oauthlib": oauthlib, "forge": forge,
     "forge-many": forge_many, "hash": hash_}[cmd](*args)
