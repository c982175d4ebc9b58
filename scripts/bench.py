"""Benchmarks cognito-refresh against the AWS CLI and a bare curl POST on the local emulator.

Run through scripts/bench, which installs what this needs and builds the release binary.
Every command does the same refresh (InitiateAuth REFRESH_TOKEN_AUTH) against moto on
loopback, so the differences are the clients' own costs. Over TLS, the tool and curl send it
to an HTTPS server on 127.0.0.1 whose certificate a test CA signed (both trusting the CA
through SSL_CERT_FILE), which gives both the same canned answer: moto's to the same request.
Budgets are ratios measured in the same run, so they hold on a noisy machine; a missed budget
makes the exit code 1.
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import platform
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                   "release", "cognito-refresh")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
AWS = os.path.join(ROOT, ".venv", "bin", "aws")
MIB = 1024 * 1024

# name -> (budget, description). Ratios are of medians measured in the same run.
BUDGETS = {
    "refresh_vs_curl": (0.9, "a refresh takes at most 0.9x the bare curl POST (loopback http)"),
    "tls_refresh_vs_curl": (1.0, "a refresh over TLS takes at most 1.0x curl's POST over TLS"),
    "refresh_vs_aws": (1 / 30, "a refresh takes at most 1/30 of the AWS CLI"),
    "hit_vs_version": (1.2, "a `token` cache hit takes at most 1.2x `cognito-refresh --version`"),
    "aws_hit_vs_version": (1.2, "an `aws-credentials` cache hit takes at most 1.2x `cognito-refresh --version`"),
    "m2m_hit_vs_version": (1.2, "an M2M `token` cache hit takes at most 1.2x `cognito-refresh --version`"),
    "refresh_rss_mib": (14, "peak RSS of a refresh at most 14 MiB"),
    "hit_rss_mib": (8, "peak RSS of a `token` cache hit at most 8 MiB"),
    "race_refreshes": (1, "32 concurrent `token` calls on an expired profile: one refresh"),
    "dynamodb_hit_vs_refresh": (1.5, "a `token` cache hit from a DynamoDB store (one signed GetItem) takes at most 1.5x a refresh"),
    "fleet_refreshes": (1, "32 `token` calls on 8 machines sharing a DynamoDB store, expired: one refresh"),
    "binary_mib": (11, "the stripped release binary at most 11 MiB"),
}


class Fixture:
    """The emulator, driven over the line-JSON protocol of scripts/moto-fixture.py."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(ROOT, "scripts", "moto-fixture.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = json.loads(self.proc.stdout.readline())
        self.endpoint, self.region = hello["endpoint"], hello["region"]

    def ask(self, **command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            sys.exit(f"bench: the emulator failed: {answer['error']}")
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class TlsServer:
    """An HTTPS server on 127.0.0.1, its certificate signed by a test CA made here (openssl),
    answering every POST with `answer` (JSON of `content_type`), one connection at a time."""

    def __init__(self, directory, answer, content_type):
        def openssl(*args):
            subprocess.run(["openssl", *args], cwd=directory, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        key = ["-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        openssl("req", "-x509", "-days", "1", "-subj", "/CN=bench-ca", *key,
                "-keyout", "ca.key", "-out", "ca.pem")
        openssl("req", "-subj", "/CN=127.0.0.1", *key, "-keyout", "server.key",
                "-out", "server.csr")
        with open(os.path.join(directory, "server.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", "server.ext", "-out", "server.pem")
        self.ca_file = os.path.join(directory, "ca.pem")
        body = answer.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(directory, "server.pem"),
                                os.path.join(directory, "server.key"))
        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.endpoint = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def private_file(directory, name, content):
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)
    return path


def hyperfine(commands, runs, env, rounds=None):
    """Runs hyperfine without a shell; returns {name: times in seconds}. The runs are split
    into rounds of 3 (or `rounds` rounds), each running every command in turn, so that a
    change in the machine's load weighs on all the commands compared, not on whichever ran
    then. The first round warms each command up 3 times, the others once."""
    rounds = rounds or max(1, runs // 3)
    times = {name: [] for name in commands}
    for round_ in range(rounds):
        share = runs // rounds + (1 if round_ < runs % rounds else 0)
        if share == 0:
            continue
        warmup = "3" if round_ == 0 else "1"
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            args = ["hyperfine", "--shell=none", "--warmup", warmup, "--runs", str(share),
                    "--style", "none", "--export-json", out.name]
            for name, argv in commands.items():
                args += ["--command-name", name, " ".join(quote(a) for a in argv)]
            subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
            results = json.load(open(out.name))["results"]
        for r in results:
            times[r["command"]] += r["times"]
    return times


def quote(arg):
    # hyperfine --shell=none splits on whitespace and honours quotes; none of ours need more.
    return f"'{arg}'" if re.search(r"\s", arg) else arg


def peak_rss(argv, env, runs=5):
    """Median of the peak resident set sizes GNU time reports, in bytes."""
    values = []
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        values.append(int(p.stderr.strip().splitlines()[-1]) * 1024)
    return statistics.median(values)


def concurrent_token_calls(fixture, client_id, argv, env, processes=32):
    """Starts `processes` `token` calls at once on one expired profile. Returns the wall time
    for all and the refresh requests the server saw for that client; all must print one token.
    `env` is one environment for all, or a list of one per process (machines of their own)."""
    envs = env if isinstance(env, list) else [env] * processes
    def refreshes():
        counts = fixture.ask(cmd="requests").get("by_client", {}).get(client_id, {})
        return counts.get("InitiateAuth:REFRESH_TOKEN_AUTH", 0)

    before = refreshes()
    started = time.perf_counter()
    procs = [subprocess.Popen(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for e in envs]
    outputs = [p.communicate() for p in procs]
    wall = time.perf_counter() - started
    failed = [err for p, (_, err) in zip(procs, outputs) if p.returncode != 0]
    if failed:
        sys.exit(f"bench: {len(failed)} concurrent `token` call(s) failed: {failed[0].strip()}")
    if len({out for out, _ in outputs}) != 1:
        sys.exit("bench: the concurrent `token` calls printed different tokens")
    return wall, refreshes() - before


def m2m_profile(work, profile_args, env):
    """A profile of an app client's own token (grant = "client_credentials") whose token is in
    the store as `client-token --profile` leaves it. Neither emulator issues client-credentials
    tokens, and a cache hit sends nothing, so the entry is written here. Returns the `token`
    command that serves it."""
    def b64(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    exp = int(time.time()) + 86400
    access = b64({"alg": "RS256", "kid": "bench"}) + "." + b64(
        {"client_id": "m2mbench", "token_use": "access", "scope": "bench/read", "exp": exp}) + ".c2ln"
    with open(os.path.join(work, "config.toml"), "a") as config:
        config.write('\n[profiles.m2m]\nclient_id = "m2mbench"\ndomain = "http://127.0.0.1:9"\n'
                     'grant = "client_credentials"\nscopes = ["bench/read"]\n'
                     'client_secret_env = "M2M_BENCH_SECRET"\n')
    private_file(os.path.join(work, "store"), "m2m.json", json.dumps({
        "version": 1, "client_id": "m2mbench", "access_token": access, "expires_at": exp,
        "updated_at": int(time.time()), "client_credentials": {"scopes": ["bench/read"]}}))
    argv = [BIN, *profile_args, "token", "--profile", "m2m"]
    served = subprocess.run(argv, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    if served.strip() != access:
        sys.exit("bench: the M2M profile's `token` did not serve the stored token")
    return argv


def machines(work, count, config, env):
    """`count` machines of their own (a HOME each, its config file the default one, no store
    directory shared) whose profile `fleet` keeps its session in a DynamoDB table: one
    environment per machine."""
    envs = []
    for n in range(count):
        home = os.path.join(work, f"machine-{n}")
        config_dir = os.path.join(home, ".config", "cognito-refresh")
        os.makedirs(config_dir, mode=0o700)
        private_file(config_dir, "config.toml", config)
        envs.append({**env, "HOME": home})
    return envs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per command")
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs: at least 30, as the budgets compare medians of 30 runs or more")

    fixture = Fixture()
    public = fixture.ask(cmd="session", secret=False)
    secret = fixture.ask(cmd="session", secret=True)
    work = tempfile.mkdtemp(prefix="cognito-refresh-bench-")
    tls = None
    try:
        common = ["--region", fixture.region, "--endpoint-url", fixture.endpoint]
        env = {
            "PATH": os.environ["PATH"],
            "HOME": work,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "*",
        }
        # Secrets go through files (0600) and the environment, never argv.
        rt_public = private_file(work, "rt-public", public["refresh_token"])
        rt_secret = private_file(work, "rt-secret", secret["refresh_token"])
        cs = private_file(work, "client-secret", secret["client_secret"])
        body = json.dumps({
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": public["client_id"],
            "AuthParameters": {"REFRESH_TOKEN": public["refresh_token"]},
        })
        body_file = private_file(work, "body.json", body)
        cli_input = private_file(work, "aws-input.json", body)

        # Profiles for `token`: one filled by a first call (then served from the store), one
        # whose tokens are expired (only a refresh token stored) for the concurrency run.
        race = fixture.ask(cmd="session", secret=False)
        rt_race = private_file(work, "rt-race", race["refresh_token"])
        profile_args = ["--config", os.path.join(work, "config.toml"),
                        "--store", os.path.join(work, "store")]
        for profile, session, rt in (("bench", public, rt_public), ("race", race, rt_race)):
            subprocess.run([BIN, *profile_args, "store", "--profile", profile,
                            "--client-id", session["client_id"], "--refresh-token-file", rt,
                            *common], env=env, check=True, stdout=subprocess.DEVNULL)
        token = [BIN, *profile_args, "token", "--profile", "bench"]
        subprocess.run(token, env=env, check=True, stdout=subprocess.DEVNULL)
        # AWS credentials for the same profile from an identity pool, kept in the store. moto's
        # last 90 s: fetched just before the measurements, which take less, and served from the
        # store while they stay valid for --min-ttl 10s.
        identity_pool = fixture.ask(cmd="identity_pool", user_pool_id=public["user_pool_id"],
                                    client_id=public["client_id"])["identity_pool_id"]
        aws_hit = [BIN, *profile_args, "aws-credentials", "--profile", "bench",
                   "--identity-pool-id", identity_pool, "--min-ttl", "10s"]
        token_m2m = m2m_profile(work, profile_args, env)

        # A profile whose session is in a DynamoDB table (moto's), made by the tool's own
        # `init-store`: its cache hit reads the item (one GetItem), its first `token` on 8
        # machines at once makes one refresh between them.
        ddb_env = {**env, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_CONFIG_FILE": os.path.join(work, "no-aws-config"),
                   "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "no-aws-credentials")}
        subprocess.run([BIN, "init-store", "dynamodb://bench-tokens", *common], env=ddb_env,
                       check=True, stderr=subprocess.DEVNULL)
        ddb_profile = ('store = "dynamodb://bench-tokens"\n'
                       f'store_endpoint_url = "{fixture.endpoint}"\n'
                       f'region = "{fixture.region}"\nendpoint_url = "{fixture.endpoint}"\n')
        with open(os.path.join(work, "config.toml"), "a") as config:
            config.write(f'\n[profiles.shared]\nclient_id = "{public["client_id"]}"\n' + ddb_profile)
        # Not --store DIR, which would stand for the profile's store.
        config_only = ["--config", os.path.join(work, "config.toml")]
        subprocess.run([BIN, *config_only, "store", "--profile", "shared",
                        "--refresh-token-file", rt_public], env=ddb_env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        token_ddb = [BIN, *config_only, "token", "--profile", "shared"]
        subprocess.run(token_ddb, env=ddb_env, check=True, stdout=subprocess.DEVNULL)
        fleet = fixture.ask(cmd="session", secret=False)
        rt_fleet = private_file(work, "rt-fleet", fleet["refresh_token"])
        fleet_envs = machines(work, 8, f'[profiles.fleet]\nclient_id = "{fleet["client_id"]}"\n'
                              + ddb_profile, ddb_env)
        subprocess.run([BIN, "store", "--profile", "fleet", "--refresh-token-file", rt_fleet],
                       env=fleet_envs[0], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

        # Over TLS: moto's answer to the request curl sends, canned.
        curl_post = ["curl", "-sS", "-X", "POST",
                     "-H", "Content-Type: application/x-amz-json-1.1",
                     "-H", "X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth",
                     "--data-binary", "@" + body_file]
        canned = subprocess.run([*curl_post, fixture.endpoint + "/"], env=env, check=True,
                                stdout=subprocess.PIPE, text=True).stdout
        tls = TlsServer(work, canned, "application/x-amz-json-1.1")
        tls_env = {**env, "SSL_CERT_FILE": tls.ca_file}

        commands = {
            "cognito-refresh --version": [BIN, "--version"],
            "cognito-refresh refresh (public client)": [
                BIN, "refresh", "--client-id", public["client_id"],
                "--refresh-token-file", rt_public, *common],
            "cognito-refresh refresh (client secret)": [
                BIN, "refresh", "--client-id", secret["client_id"],
                "--refresh-token-file", rt_secret, "--client-secret-file", cs,
                "--username", secret["username"], *common],
            "cognito-refresh token (cache hit)": token,
            "cognito-refresh token, M2M profile (cache hit)": token_m2m,
            "cognito-refresh token --force (refresh)": [*token, "--force"],
            "cognito-refresh token, DynamoDB store (cache hit)": token_ddb,
            "cognito-refresh aws-credentials (cache hit)": aws_hit,
            "curl POST (same request)": [*curl_post, "-o", "/dev/null", fixture.endpoint + "/"],
            "aws cognito-idp initiate-auth": [
                AWS, "cognito-idp", "initiate-auth", "--no-sign-request",
                "--cli-input-json", "file://" + cli_input,
                "--region", fixture.region, "--endpoint-url", fixture.endpoint,
                "--output", "json"],
        }
        tls_commands = {
            "cognito-refresh refresh over TLS (public client)": [
                BIN, "refresh", "--client-id", public["client_id"],
                "--refresh-token-file", rt_public, "--region", fixture.region,
                "--endpoint-url", tls.endpoint],
            "curl POST over TLS (same request)": [*curl_post, "-o", "/dev/null",
                                                  tls.endpoint + "/"],
        }
        aws_runs = max(5, args.runs // 5)  # the AWS CLI is slow: fewer runs suffice
        subprocess.run(aws_hit, env=env, check=True, stdout=subprocess.DEVNULL)
        times = hyperfine({k: v for k, v in commands.items() if not k.startswith("aws")},
                          args.runs, ddb_env)
        times.update(hyperfine(tls_commands, args.runs, tls_env))
        times.update(hyperfine({k: v for k, v in commands.items() if k.startswith("aws")},
                               aws_runs, env, rounds=1))
        rss = {name: peak_rss(argv, ddb_env) for name, argv in commands.items()}
        rss.update({name: peak_rss(argv, tls_env) for name, argv in tls_commands.items()})
        commands.update(tls_commands)
        race_wall, race_refreshes = concurrent_token_calls(
            fixture, race["client_id"], [BIN, *profile_args, "token", "--profile", "race"], env)
        fleet_wall, fleet_refreshes = concurrent_token_calls(
            fixture, fleet["client_id"], [BIN, "token", "--profile", "fleet"],
            [e for e in fleet_envs for _ in range(4)])
        refreshes = fixture.ask(cmd="requests")["by_target"].get("InitiateAuth:REFRESH_TOKEN_AUTH", 0)
        fetched = fixture.ask(cmd="requests")["by_target"].get("Identity:GetCredentialsForIdentity", 0)
        if fetched != 1:
            sys.exit(f"bench: the `aws-credentials` cache hit fetched credentials {fetched - 1} more "
                     "time(s): the measurements outlasted moto's 90 s credentials")
    finally:
        fixture.close()
        if tls:
            tls.close()
        shutil.rmtree(work)

    median = {k: statistics.median(v) for k, v in times.items()}
    curl = median["curl POST (same request)"]
    curl_tls = median["curl POST over TLS (same request)"]
    aws = median["aws cognito-idp initiate-auth"]
    refresh = median["cognito-refresh refresh (public client)"]
    binary = os.path.getsize(BIN)

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"Measured {datetime.date.today()} on {os.cpu_count()} cores ({cpu}), "
          f"moto on loopback, {args.runs} runs each ({aws_runs} for the AWS CLI), "
          f"{refreshes} refreshes served; over TLS, a canned answer from 127.0.0.1. "
          f"The × curl column compares with curl over the same transport.\n")
    print("| command | median | spread (min–max) | peak RSS | × curl | × AWS CLI |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in commands:
        t = times[name]
        base = curl_tls if "TLS" in name else curl
        print(f"| {name} | {median[name] * 1000:.1f} ms | {min(t) * 1000:.1f}–{max(t) * 1000:.1f} ms"
              f" | {rss[name] / MIB:.1f} MiB | {median[name] / base:.2f} | {median[name] / aws:.3f} |")
    print(f"\n32 concurrent `token` calls on one expired profile: {race_wall * 1000:.0f} ms for all, "
          f"{race_refreshes} refresh request(s) at the server.")
    print(f"\n32 `token` calls on 8 machines (4 each, a HOME each) sharing one expired session in a "
          f"DynamoDB store: {fleet_wall * 1000:.0f} ms for all, {fleet_refreshes} refresh request(s) "
          "at the server.")
    print(f"\nRelease binary (stripped): {binary / MIB:.1f} MiB.\n")

    measured = {
        "refresh_vs_curl": refresh / curl,
        "tls_refresh_vs_curl": median["cognito-refresh refresh over TLS (public client)"] / curl_tls,
        "refresh_vs_aws": refresh / aws,
        "refresh_rss_mib": max(rss["cognito-refresh refresh (public client)"],
                               rss["cognito-refresh refresh (client secret)"],
                               rss["cognito-refresh refresh over TLS (public client)"]) / MIB,
        "binary_mib": binary / MIB,
        "hit_vs_version": median["cognito-refresh token (cache hit)"]
        / median["cognito-refresh --version"],
        "hit_rss_mib": rss["cognito-refresh token (cache hit)"] / MIB,
        "aws_hit_vs_version": median["cognito-refresh aws-credentials (cache hit)"]
        / median["cognito-refresh --version"],
        "m2m_hit_vs_version": median["cognito-refresh token, M2M profile (cache hit)"]
        / median["cognito-refresh --version"],
        "race_refreshes": race_refreshes,
        "dynamodb_hit_vs_refresh": median["cognito-refresh token, DynamoDB store (cache hit)"]
        / refresh,
        "fleet_refreshes": fleet_refreshes,
    }
    failed = []
    for key, (budget, text) in BUDGETS.items():
        ok = measured[key] <= budget
        print(f"{'ok  ' if ok else 'FAIL'} {text}: {measured[key]:.3f} (budget {budget:.3f})")
        if not ok:
            failed.append(text)
    if failed:
        print(f"\nbench: {len(failed)} budget(s) missed: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
