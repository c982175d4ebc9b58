"""SRP values computed by pycognito's AWSSRP, an implementation independent of this project's.

Used by the tests (tests/cli/srp_vectors.rs): they send cases as one JSON object on stdin and
compare the answer, one JSON object on stdout, with what src/signin/srp.rs computes. The randomness
pycognito draws (os.urandom) and the clock it reads are replaced by the values of each case, so
the results are fixed.

Input:  {"user": [...], "device": [...], "verifier": [...]} with, per case,
  user:     pool_id, user_id_for_srp, password, private (hex), srp_b, salt, secret_block,
            unix_time, client_id, client_secret
  device:   device_group_key, device_key, device_password, private (hex), srp_b, salt,
            secret_block, unix_time
  verifier: device_group_key, device_key, password_random (hex, 40 bytes),
            salt_random (hex, 16 bytes)
Output: {"user": [{srp_a, signature, timestamp, secret_hash}], "device": [{srp_a, signature,
  timestamp}], "verifier": [{device_password, verifier, salt}]}
"""

import datetime
import json
import sys

import pycognito.aws_srp as aws_srp


class FixedRandom:
    """Stands in for os.urandom: hands out the queued bytes, and fails when none are queued."""

    def __init__(self):
        self.queue = []

    def __call__(self, n):
        if not self.queue:
            raise RuntimeError("srp-vectors: pycognito asked for randomness no case provided")
        value = self.queue.pop(0)
        if len(value) != n:
            raise RuntimeError(f"srp-vectors: pycognito asked for {n} bytes, the case has {len(value)}")
        return value


class FixedClock:
    """Stands in for the datetime module: utcnow() is the case's time."""

    now = None

    class datetime:  # noqa: N801 (mirrors the module's name)
        @staticmethod
        def utcnow():
            return FixedClock.now


random = FixedRandom()
aws_srp.os.urandom = random
aws_srp.datetime = FixedClock


def srp_for(private_hex, **kwargs):
    random.queue.append(bytes.fromhex(private_hex))
    # A stand-in boto3 client: nothing is sent anywhere.
    return aws_srp.AWSSRP(client=object(), **kwargs)


def at(unix_time):
    return datetime.datetime.fromtimestamp(unix_time, datetime.timezone.utc).replace(tzinfo=None)


def user_case(c):
    srp = srp_for(
        c["private"],
        username=c["user_id_for_srp"],
        password=c["password"],
        pool_id=c["pool_id"],
        client_id=c["client_id"],
        client_secret=c.get("client_secret"),
    )
    FixedClock.now = at(c["unix_time"])
    response = srp.process_challenge(
        {
            "USER_ID_FOR_SRP": c["user_id_for_srp"],
            "SALT": c["salt"],
            "SRP_B": c["srp_b"],
            "SECRET_BLOCK": c["secret_block"],
            "USERNAME": c["user_id_for_srp"],
        },
        {"USERNAME": c["user_id_for_srp"]},
    )
    return {
        "srp_a": srp.get_auth_params()["SRP_A"],
        "signature": response["PASSWORD_CLAIM_SIGNATURE"],
        "timestamp": response["TIMESTAMP"],
        "secret_hash": response.get("SECRET_HASH"),
    }


def device_case(c):
    srp = srp_for(
        c["private"],
        username="unused",
        password="unused",
        pool_id="eu-west-1_unused",
        client_id="unused",
        device_key=c["device_key"],
        device_group_key=c["device_group_key"],
        device_password=c["device_password"],
    )
    FixedClock.now = at(c["unix_time"])
    response = srp.process_device_challenge(
        {
            "USERNAME": "unused",
            "SALT": c["salt"],
            "SRP_B": c["srp_b"],
            "SECRET_BLOCK": c["secret_block"],
        }
    )
    return {
        "srp_a": aws_srp.long_to_hex(srp.large_a_value),
        "signature": response["PASSWORD_CLAIM_SIGNATURE"],
        "timestamp": response["TIMESTAMP"],
    }


def verifier_case(c):
    random.queue.append(bytes.fromhex(c["password_random"]))
    random.queue.append(bytes.fromhex(c["salt_random"]))
    password, config = aws_srp.generate_hash_device(c["device_group_key"], c["device_key"])
    return {
        "device_password": password,
        "verifier": config["PasswordVerifier"],
        "salt": config["Salt"],
    }


def main():
    cases = json.load(sys.stdin)
    out = {
        "user": [user_case(c) for c in cases.get("user", [])],
        "device": [device_case(c) for c in cases.get("device", [])],
        "verifier": [verifier_case(c) for c in cases.get("verifier", [])],
    }
    if random.queue:
        raise RuntimeError("srp-vectors: some fixed randomness was not used")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
