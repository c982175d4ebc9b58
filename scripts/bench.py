"""Benchmarks cognito-refresh against the AWS CLI and a bare curl POST on the local emulator.

Run through scripts/bench, which installs what this needs and builds the release binary.
Every command does the same refresh (InitiateAuth REFRESH_TOKEN_AUTH) against moto on
loopback, so the differences are the clients' own costs. Budgets are ratios measured in the
same run, so they hold on a noisy machine; a missed budget makes the exit code 1.
"""

import argparse
import base64
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                   "release", "cognito-refresh")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
AWS = os.path.join(ROOT, ".venv", "bin", "aws")
MIB = 1024 * 1024

# name -> (budget, description). Ratios are of medians measured in the same run.
BUDGETS = {
    "refresh_vs_curl": (1.0, "a refresh takes at most 1.0x the bare curl POST"),
    "refresh_vs_aws": (1 / 30, "a refresh takes at most 1/30 of the AWS CLI"),
    "hit_vs_version": (2.0, "a `token` cache hit takes at most 2x `cognito-refresh --version`"),
    "aws_hit_vs_version": (2.0, "an `aws-credentials` cache hit takes at most 2x `cognito-refresh --version`"),
    "m2m_hit_vs_version": (2.0, "an M2M `token` cache hit takes at most 2x `cognito-refresh --version`"),
    "refresh_rss_mib": (14, "peak RSS of a refresh at most 14 MiB"),
    "hit_rss_mib": (8, "peak RSS of a `token` cache hit at most 8 MiB"),
    "race_refreshes": (1, "32 concurrent `token` calls on an expired profile: one refresh"),
    "binary_mib": (10, "the stripped release binary at most 10 MiB"),
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


def private_file(directory, name, content):
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)
    return path


def hyperfine(commands, runs, env):
    """Runs hyperfine without a shell; returns {name: times in seconds}."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        args = ["hyperfine", "--shell=none", "--warmup", "3", "--runs", str(runs),
                "--style", "none", "--export-json", out.name]
        for name, argv in commands.items():
            args += ["--command-name", name, " ".join(quote(a) for a in argv)]
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
        results = json.load(open(out.name))["results"]
    return {r["command"]: r["times"] for r in results}


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
    for all and the refresh requests the server saw for that client; all must print one token."""
    def refreshes():
        counts = fixture.ask(cmd="requests").get("by_client", {}).get(client_id, {})
        return counts.get("InitiateAuth:REFRESH_TOKEN_AUTH", 0)

    before = refreshes()
    started = time.perf_counter()
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(processes)]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per command")
    args = parser.parse_args()

    fixture = Fixture()
    public = fixture.ask(cmd="session", secret=False)
    secret = fixture.ask(cmd="session", secret=True)
    work = tempfile.mkdtemp(prefix="cognito-refresh-bench-")
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
            "cognito-refresh aws-credentials (cache hit)": aws_hit,
            "curl POST (same request)": [
                "curl", "-sS", "-o", "/dev/null", "-X", "POST", fixture.endpoint + "/",
                "-H", "Content-Type: application/x-amz-json-1.1",
                "-H", "X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth",
                "--data-binary", "@" + body_file],
            "aws cognito-idp initiate-auth": [
                AWS, "cognito-idp", "initiate-auth", "--no-sign-request",
                "--cli-input-json", "file://" + cli_input,
                "--region", fixture.region, "--endpoint-url", fixture.endpoint,
                "--output", "json"],
        }
        aws_runs = max(5, args.runs // 5)  # the AWS CLI is slow: fewer runs suffice
        subprocess.run(aws_hit, env=env, check=True, stdout=subprocess.DEVNULL)
        times = hyperfine({k: v for k, v in commands.items() if not k.startswith("aws")},
                          args.runs, env)
        times.update(hyperfine({k: v for k, v in commands.items() if k.startswith("aws")},
                               aws_runs, env))
        rss = {name: peak_rss(argv, env) for name, argv in commands.items()}
        race_wall, race_refreshes = concurrent_token_calls(
            fixture, race["client_id"], [BIN, *profile_args, "token", "--profile", "race"], env)
        refreshes = fixture.ask(cmd="requests")["by_target"].get("InitiateAuth:REFRESH_TOKEN_AUTH", 0)
        fetched = fixture.ask(cmd="requests")["by_target"].get("Identity:GetCredentialsForIdentity", 0)
        if fetched != 1:
            sys.exit(f"bench: the `aws-credentials` cache hit fetched credentials {fetched - 1} more "
                     "time(s): the measurements outlasted moto's 90 s credentials")
    finally:
        fixture.close()
        shutil.rmtree(work)

    median = {k: statistics.median(v) for k, v in times.items()}
    curl = median["curl POST (same request)"]
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
          f"{refreshes} refreshes served.\n")
    print("| command | median | spread (min–max) | peak RSS | × curl | × AWS CLI |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in commands:
        t = times[name]
        print(f"| {name} | {median[name] * 1000:.1f} ms | {min(t) * 1000:.1f}–{max(t) * 1000:.1f} ms"
              f" | {rss[name] / MIB:.1f} MiB | {median[name] / curl:.2f} | {median[name] / aws:.3f} |")
    print(f"\n32 concurrent `token` calls on one expired profile: {race_wall * 1000:.0f} ms for all, "
          f"{race_refreshes} refresh request(s) at the server.")
    print(f"\nRelease binary (stripped): {binary / MIB:.1f} MiB.\n")

    measured = {
        "refresh_vs_curl": refresh / curl,
        "refresh_vs_aws": refresh / aws,
        "refresh_rss_mib": max(rss["cognito-refresh refresh (public client)"],
                               rss["cognito-refresh refresh (client secret)"]) / MIB,
        "binary_mib": binary / MIB,
        "hit_vs_version": median["cognito-refresh token (cache hit)"]
        / median["cognito-refresh --version"],
        "hit_rss_mib": rss["cognito-refresh token (cache hit)"] / MIB,
        "aws_hit_vs_version": median["cognito-refresh aws-credentials (cache hit)"]
        / median["cognito-refresh --version"],
        "m2m_hit_vs_version": median["cognito-refresh token, M2M profile (cache hit)"]
        / median["cognito-refresh --version"],
        "race_refreshes": race_refreshes,
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
