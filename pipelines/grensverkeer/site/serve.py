"""`grensverkeer serve`: show OUT/site on http://localhost (the site also works from file:// without this)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


def serve(site_dir: Path, port: int = 8000) -> None:
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").exists():
        raise FileNotFoundError(f"no site in {site_dir}: run `grensverkeer run` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"grensverkeer: site on http://localhost:{port}/ (Ctrl+C stops)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


def add_serve_parser(sub) -> None:
    p = sub.add_parser("serve", help="show the dashboard site (OUT/site) on localhost")
    p.add_argument("--out", help="output folder (default: build/); the site is OUT/site")
    p.add_argument("--port", type=int, default=8000)

    def run(args) -> int:
        from .. import settings

        out = Path(args.out).resolve() if args.out else settings.out_dir()
        try:
            serve(out / "site", args.port)
        except FileNotFoundError as e:
            print(f"grensverkeer: {e}")
            return 2
        return 0

    p.set_defaults(func=run)
