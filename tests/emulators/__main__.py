"""`python -m tests.emulators {cradl|contractfit|deepopinion} [options]`: serve an emulator on
127.0.0.1 until interrupted. The first stdout line is `READY <base-url>`; the second
`TOKEN_URL <url>` for services with a token endpoint. Request logs and violations go to stderr."""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import sys
import threading
from typing import Any

from tests.emulators import emulator_class


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators", description=__doc__)
    parser.add_argument("service", help="cradl, contractfit or deepopinion")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every request")
    parser.add_argument(
        "--rate-limit", type=float, default=None, metavar="RPS", help="token bucket over API+files"
    )
    parser.add_argument("--rate-burst", type=float, default=None, help="bucket size (default max(1, RPS))")
    parser.add_argument("--fail-rate", type=_fraction, default=0.0, help="fraction of requests answered 503")
    parser.add_argument(
        "--rate-429", type=_fraction, default=0.0, help="fraction answered 429 Too Many Requests"
    )
    parser.add_argument("--drop-rate", type=_fraction, default=0.0, help="fraction closed without a response")
    parser.add_argument(
        "--drop-after-rate", type=_fraction, default=0.0, help="fraction processed, reply lost"
    )
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of random 429s, seconds")
    parser.add_argument(
        "--faults-on-token", action="store_true", help="let faults hit the token endpoint too"
    )
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="token lifetime, seconds")
    parser.add_argument("--quota", type=int, default=None, help="predictions before 429 Limit Exceeded")
    parser.add_argument("--async-delay", type=float, default=1.0, help="seconds async jobs stay pending")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random faults")
    parser.add_argument("--client-id", default=None, help="accepted client id (cradl: test-client)")
    parser.add_argument("--client-secret", default=None, help="accepted client secret (cradl: test-secret)")
    parser.add_argument("--pages-per-call", type=int, default=None, help="cradl: pages per POST /predictions")
    parser.add_argument(
        "--strict-put",
        dest="allow_untyped_put",
        action="store_false",
        default=None,
        help="cradl: answer 415 to a file PUT without Content-Type (by default accepted, as the "
        "service accepts the official SDKs' untyped uploads)",
    )
    parser.add_argument(
        "--engine", choices=("auto", "local", "stub"), default=None, help="cradl: prediction engine"
    )
    parser.add_argument("--api-key", default=None, help="contractfit: accepted X-API-Key (test-api-key)")
    parser.add_argument("--username", default=None, help="contractfit: accepted username (test-user)")
    parser.add_argument("--password", default=None, help="contractfit: accepted password (test-password)")
    parser.add_argument("--email", default=None, help="deepopinion: accepted login email (robot@example.com)")
    parser.add_argument(
        "--token-prefix",
        default=None,
        help="contractfit: word before the JWT (Bearer; '' for the bare token)",
    )
    parser.add_argument("--tls-cert", default=None, metavar="PEM", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", default=None, metavar="PEM", help="private key of --tls-cert")
    parser.add_argument("--no-validate", action="store_true", help="do not validate against the spec")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every request to stderr")
    return parser


def _tls_context(cert: str | None, key: str | None) -> ssl.SSLContext:
    if not cert or not key:
        raise ValueError("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cls = emulator_class(args.service)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    options: dict[str, Any] = {
        "port": args.port,
        "seed": args.seed,
        "validate": not args.no_validate,
        "verbose": args.verbose,
        "latency_ms": args.latency_ms,
        "rate_limit": args.rate_limit,
        "rate_burst": args.rate_burst,
        "fail_rate": args.fail_rate,
        "rate_429": args.rate_429,
        "drop_rate": args.drop_rate,
        "drop_after_rate": args.drop_after_rate,
        "retry_after": args.retry_after,
        "faults_on_token": args.faults_on_token,
        "token_ttl": args.token_ttl,
        "quota": args.quota,
        "async_delay": args.async_delay,
    }
    extras = {
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "pages_per_call": args.pages_per_call,
        "allow_untyped_put": args.allow_untyped_put,
        "engine": args.engine,
        "api_key": args.api_key,
        "username": args.username,
        "password": args.password,
        "email": args.email,
        "token_prefix": args.token_prefix,
    }
    options.update({k: v for k, v in extras.items() if v is not None})
    try:
        if args.tls_cert or args.tls_key:
            options["tls"] = _tls_context(args.tls_cert, args.tls_key)
        emulator = cls(**options)
        emulator.start()
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        print(f"error: cannot start the {args.service} emulator: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"READY {emulator.base_url}", flush=True)
    token_url = getattr(emulator, "token_url", None)
    if token_url:
        print(f"TOKEN_URL {token_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
