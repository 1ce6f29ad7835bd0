"""``python -m demo_oms``: run the demo OMS on its own.

It serves ``getStatusDetailOptionList`` on ``--port`` and pushes the day of events to the Seller
Center at ``--seller-center``, as ``--service``. The shared API key comes from ``DEMO_OMS_KEY``
or the file ``seed_demo`` writes (``var/demo_oms_key``), read again for every request so that a
new key is picked up without a restart. Never from the command line.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from .pusher import Pusher
from .scenario import SERVICE_NAME
from .server import OmsServer

# Where seed_demo writes the key: Seller Center's var directory (SELLERCENTER_VAR_DIR).
DEFAULT_KEY_FILE = (
    Path(os.environ.get("SELLERCENTER_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    / "demo_oms_key"
)


def key_reader(path: Path):
    def read() -> str | None:
        from_env = os.environ.get("DEMO_OMS_KEY", "").strip()
        if from_env:
            return from_env
        try:
            return path.read_text().strip() or None
        except OSError:
            return None

    return read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_oms", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_OMS_PORT", 8001)))
    parser.add_argument(
        "--seller-center",
        default=os.environ.get("SELLER_CENTER_URL", "http://127.0.0.1:8000/"),
        help="Seller Center's base URL (default %(default)s)",
    )
    parser.add_argument("--service", default=SERVICE_NAME, help="the ServiceName to push as")
    parser.add_argument("--key-file", type=Path, default=DEFAULT_KEY_FILE)
    parser.add_argument("--step-seconds", type=float, default=4.0, help="pause between pushes")
    parser.add_argument("--serve-only", action="store_true", help="serve options, push nothing")
    parser.add_argument("--once", action="store_true", help="push the day once, then stop")
    args = parser.parse_args(argv)

    key = key_reader(args.key_file)
    server = OmsServer(key=key, host=args.host, port=args.port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"demo OMS: serving getStatusDetailOptionList at {server.url}", flush=True)
    try:
        if args.serve_only:
            stop.wait()
        else:
            print(f"demo OMS: pushing to {args.seller_center} as {args.service}", flush=True)
            pusher = Pusher(
                seller_center_url=args.seller_center,
                service_name=args.service,
                key=key,
                step_seconds=args.step_seconds,
                stop=stop,
                say=lambda text: print(text, flush=True),
            )
            pusher.run(keep_moving=not args.once)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
