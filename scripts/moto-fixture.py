"""A local Amazon Cognito user-pool emulator (moto) driven over stdin/stdout.

Run it with the project virtualenv's interpreter (scripts/setup-emulator makes it):

    .venv/bin/python scripts/moto-fixture.py

It starts moto in-process on 127.0.0.1 with an ephemeral port and prints one JSON line:

    {"endpoint": "http://127.0.0.1:PORT", "region": "eu-west-1"}

Then it reads one JSON command per line on stdin and answers each with exactly one JSON
line on stdout:

    {"cmd": "session", "secret": bool, "username"?: str, "password"?: str,
     "device_configuration"?: {"ChallengeRequiredOnNewDevice": bool,
                               "DeviceOnlyRememberedOnUserPrompt": bool}}
        -> a fresh pool (with that DeviceConfiguration, which moto describes but does not
           enforce), app client and user, signed in with USER_PASSWORD_AUTH:
           {"user_pool_id", "client_id", "client_secret" (null when public),
            "username", "password", "refresh_token", "access_token", "id_token"}
    {"cmd": "client", "user_pool_id": str, "secret": bool}
        -> {"client_id", "client_secret"}
    {"cmd": "global_sign_out", "access_token": str}
        -> {"ok": true}
    {"cmd": "identity_pool", "user_pool_id": str, "client_id": str}
        -> an identity pool (moto[cognitoidentity]) that lists the user pool and app client as
           its authentication provider: {"identity_pool_id", "provider_name"}
    {"cmd": "requests"}
        -> {"total": N, "by_target": {"InitiateAuth": n, "InitiateAuth:REFRESH_TOKEN_AUTH": n, ...},
            "by_client": {"<ClientId>": {"InitiateAuth": n, "InitiateAuth:REFRESH_TOKEN_AUTH": n}}}
           (every request the server received, the fixture's own set-up calls included;
           by_client counts InitiateAuth and AdminInitiateAuth calls per app client, so a
           test that owns a session's client sees exactly its own calls, and a signed one also
           as "<Operation>:signed-by:<access key id>", the key of its SigV4 signature; identity
           pool operations are counted as "Identity:<Operation>" in by_target, and in
           by_identity GetId by identity pool ("Identity:GetId:<IdentityPoolId>") and
           GetCredentialsForIdentity by identity ("Identity:GetCredentialsForIdentity:
           <IdentityId>"); by_access_key counts the requests signed by each AWS access key id,
           with the session token they carried: {"<AccessKeyId>": {"count": n, "session_token":
           str or null}})

DynamoDB (moto[dynamodb]) is served on the same endpoint, for the DynamoDB token store's
tests: they create their tables with the tool's `init-store` and read items through
DynamoDB's own JSON API (X-Amz-Target: DynamoDB_20120810.<Operation>), signed for the
region the table is in (moto checks no signature). DynamoDB requests are counted in
by_target as "DynamoDB_20120810.<Operation>", and served one at a time (see RequestCounter).

A failing command answers {"error": "message"} and the fixture keeps serving. End of
stdin (the parent closed the pipe or died) stops the server and exits 0. Only protocol
lines go to stdout; anything else (moto's own prints, errors) goes to stderr.
"""

import base64
import hashlib
import hmac
import io
import itertools
import json
import logging
import os
import secrets
import sys
import threading

# Keep the AWS SDK away from the developer's own configuration and from the network:
# everything is passed explicitly below, and these make sure nothing else is read.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)

# The protocol owns the real stdout; stray print()s (moto has a few) go to stderr.
PROTOCOL_OUT = sys.stdout
sys.stdout = sys.stderr

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

REGION = "eu-west-1"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
IDENTITY_PREFIX = "AWSCognitoIdentityService."
DYNAMODB_PREFIX = "DynamoDB_20120810."

logging.getLogger("werkzeug").setLevel(logging.ERROR)


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without the per-request access log."""

    def log_request(self, code="-", size="-"):
        pass


class RequestCounter:
    """WSGI middleware counting requests by X-Amz-Target (and (Admin)InitiateAuth's
    AuthFlow), and (Admin)InitiateAuth calls by app client and signing key.

    It also serves DynamoDB requests one at a time. DynamoDB applies each conditional write
    atomically: its condition is checked and its update made as one step, so of two
    machines racing for the same refresh lease exactly one wins. moto checks the condition
    and then updates the item in Python, and this server runs each request in its own
    thread, so two requests' checks and updates could interleave and both "win": a race that
    real DynamoDB does not have, and that would make the store's concurrency tests fail (or
    pass) for moto's reasons. One lock around each whole DynamoDB request (its answer built
    inside it) makes moto behave as DynamoDB does here. Cognito requests are not held up."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.dynamodb_lock = threading.Lock()
        self.total = 0
        self.by_target = {}
        self.by_client = {}
        self.by_identity = {}
        self.by_access_key = {}

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else target
        service = "cognito-idp"
        if target.startswith(DYNAMODB_PREFIX):
            service = "dynamodb"
        identity_key = None
        if target.startswith(IDENTITY_PREFIX):
            service = "cognito-identity"
            operation = "Identity:" + target[len(IDENTITY_PREFIX):]
            # GetId counted by identity pool, GetCredentialsForIdentity by identity.
            field = {
                "Identity:GetId": "IdentityPoolId",
                "Identity:GetCredentialsForIdentity": "IdentityId",
            }.get(operation)
            if field:
                try:
                    value = json.loads(self._buffer_body(environ) or b"{}").get(field)
                except (ValueError, AttributeError):
                    value = None
                if isinstance(value, str):
                    identity_key = f"{operation}:{value}"
        keys = [operation or "(no target)"]
        client_keys = []
        client_id = None
        signer = self._access_key(environ)
        if operation in ("InitiateAuth", "AdminInitiateAuth"):
            body = self._buffer_body(environ)
            try:
                request = json.loads(body or b"{}")
                flow = request.get("AuthFlow")
                client_id = request.get("ClientId")
            except (ValueError, AttributeError):
                flow = None
            if isinstance(flow, str):
                keys.append(f"{operation}:{flow}")
                client_keys = [operation, f"{operation}:{flow}"]
        if client_keys and signer is not None:
            client_keys.append(f"{operation}:signed-by:{signer[0]}")
        if "HTTP_AUTHORIZATION" not in environ:
            # moto 5.2.5 takes a request's region from its SigV4 credential scope, and serves
            # unsigned requests (GlobalSignOut, ForgetDevice, RevokeToken from the tool under
            # test) from us-east-1's backend, where no pool is. This endpoint stands for
            # cognito-idp.eu-west-1.amazonaws.com: say so. moto checks no signature.
            environ["HTTP_AUTHORIZATION"] = (
                f"AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, "
                "SignedHeaders=host, Signature=0"
            )
        with self.lock:
            self.total += 1
            for key in keys:
                self.by_target[key] = self.by_target.get(key, 0) + 1
            if isinstance(client_id, str):
                counts = self.by_client.setdefault(client_id, {})
                for key in client_keys:
                    counts[key] = counts.get(key, 0) + 1
            if identity_key is not None:
                self.by_identity[identity_key] = self.by_identity.get(identity_key, 0) + 1
            if signer is not None:
                seen = self.by_access_key.setdefault(signer[0], {"count": 0})
                seen["count"] += 1
                seen["session_token"] = signer[1]
        if service == "dynamodb":
            with self.dynamodb_lock:
                answer = self.app(environ, start_response)
                try:
                    return [b"".join(answer)]
                finally:
                    if hasattr(answer, "close"):
                        answer.close()
        return self.app(environ, start_response)

    @staticmethod
    def _access_key(environ):
        """The access key id a SigV4-signed request names, and its session token."""
        auth = environ.get("HTTP_AUTHORIZATION", "")
        marker = "Credential="
        if marker not in auth:
            return None
        access_key = auth.split(marker, 1)[1].split("/", 1)[0]
        return access_key, environ.get("HTTP_X_AMZ_SECURITY_TOKEN")

    @staticmethod
    def _buffer_body(environ):
        """Read the request body and put an identical, re-readable copy back for moto."""
        stream = environ["wsgi.input"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            body = stream.read(length)
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            return b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    def snapshot(self):
        with self.lock:
            return {
                "total": self.total,
                "by_target": dict(sorted(self.by_target.items())),
                "by_client": {c: dict(v) for c, v in sorted(self.by_client.items())},
                "by_identity": dict(self.by_identity),
                "by_access_key": {k: dict(v) for k, v in self.by_access_key.items()},
            }


def secret_hash(username, client_id, client_secret):
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class Fixture:
    def __init__(self, endpoint):
        self.ids = itertools.count(1)
        session = boto3.session.Session(
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name=REGION,
        )
        config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
        self.idp = session.client(
            "cognito-idp", endpoint_url=endpoint, region_name=REGION, config=config
        )
        self.identity = session.client(
            "cognito-identity", endpoint_url=endpoint, region_name=REGION, config=config
        )
        # GlobalSignOut is an unsigned operation, and moto 5.2.5 serves an unsigned
        # GlobalSignOut from its default region's backend (us-east-1), where the pool is
        # not. Signing it (as any SigV4 caller may) routes it to eu-west-1's backend.
        self.idp.meta.events.register(
            "choose-signer.cognito-idp.GlobalSignOut", lambda **_kwargs: "v4"
        )

    def _client(self, user_pool_id, secret):
        client = self.idp.create_user_pool_client(
            UserPoolId=user_pool_id,
            ClientName=f"client-{next(self.ids)}",
            GenerateSecret=bool(secret),
            ExplicitAuthFlows=[
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
                "ALLOW_USER_SRP_AUTH",
            ],
        )["UserPoolClient"]
        return client["ClientId"], client.get("ClientSecret") if secret else None

    def cmd_session(self, req):
        n = next(self.ids)
        secret = bool(req.get("secret", False))
        username = req.get("username") or f"user-{n}"
        # Meets Cognito's default password policy (upper, lower, digit, symbol, >= 8).
        password = req.get("password") or f"Pw1!{secrets.token_hex(8)}"

        pool_args = {"PoolName": f"cognito-refresh-test-{n}"}
        if req.get("device_configuration"):
            pool_args["DeviceConfiguration"] = req["device_configuration"]
        pool_id = self.idp.create_user_pool(**pool_args)["UserPool"]["Id"]
        client_id, client_secret = self._client(pool_id, secret)
        self.idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            TemporaryPassword=f"Tmp1!{secrets.token_hex(8)}",
        )
        self.idp.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )

        params = {"USERNAME": username, "PASSWORD": password}
        if client_secret is not None:
            params["SECRET_HASH"] = secret_hash(username, client_id, client_secret)
        result = self.idp.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )["AuthenticationResult"]
        return {
            "user_pool_id": pool_id,
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
            "refresh_token": result["RefreshToken"],
            "access_token": result["AccessToken"],
            "id_token": result["IdToken"],
        }

    def cmd_client(self, req):
        client_id, client_secret = self._client(req["user_pool_id"], req.get("secret", False))
        return {"client_id": client_id, "client_secret": client_secret}

    def cmd_identity_pool(self, req):
        provider = f"cognito-idp.{REGION}.amazonaws.com/{req['user_pool_id']}"
        pool = self.identity.create_identity_pool(
            IdentityPoolName=f"cognito_refresh_test_{next(self.ids)}",
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[
                {"ProviderName": provider, "ClientId": req["client_id"]}
            ],
        )
        return {"identity_pool_id": pool["IdentityPoolId"], "provider_name": provider}

    def cmd_global_sign_out(self, req):
        self.idp.global_sign_out(AccessToken=req["access_token"])
        return {"ok": True}


def answer(obj):
    PROTOCOL_OUT.write(json.dumps(obj) + "\n")
    PROTOCOL_OUT.flush()


def main():
    counter = RequestCounter(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        "127.0.0.1", 0, counter, threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    host, port = server.server_address[:2]
    endpoint = f"http://{host}:{port}"
    fixture = Fixture(endpoint)
    commands = {
        "session": fixture.cmd_session,
        "client": fixture.cmd_client,
        "global_sign_out": fixture.cmd_global_sign_out,
        "identity_pool": fixture.cmd_identity_pool,
        "requests": lambda _req: counter.snapshot(),
    }

    try:
        answer({"endpoint": endpoint, "region": REGION})
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                handler = commands.get(req.get("cmd")) if isinstance(req, dict) else None
                if handler is None:
                    raise ValueError(f"unknown command: {line.strip()[:200]}")
                reply = handler(req)
            except Exception as err:  # any failure answers, and the fixture keeps serving
                # Capped: moto's messages can quote a whole token back.
                reply = {"error": f"{type(err).__name__}: {err}"[:300]}
            answer(reply)
    except BrokenPipeError:
        # The parent went away mid-answer: shut down as on EOF, and point stdout at
        # /dev/null so the interpreter's final flush does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), PROTOCOL_OUT.fileno())
    finally:
        server.shutdown()
        thread.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
