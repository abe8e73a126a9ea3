"""The catalogue under load on loopback, and the weight of its pages.

Against a throwaway SQLite database (base settings, the communes loaded by
the migrations) seeded through the services with a dozen sellers in six
provinces and ``KETNOI_BENCH_PRODUCTS`` products (300 by default), one in
four with a photo stored by ``photo_add``:

- Throughput of ``/products/`` served by granian (WSGI, one worker) as a
  ratio against ``/bench/bare/``, a bare Django view rendering one small
  template through the same server and middleware (bench/catalogue_urls.py,
  bench/catalogue_settings.py — not part of the product). A Python load
  generator (threads, each a visitor on a keep-alive ``http.client``
  connection that accepts gzip and sends back its cookies, as a browser
  does) sends a bounded number of requests to each, interleaved in rounds
  so a slow moment hits both. Requests per second, p50 and p99 latency for
  each; target ratio ≥ 0.60. For context, also against ``/bench/frame/``:
  the site's own frame (base.html, an empty page) rendered by a bare view.
- A search (``/products/?q=tho+cam``) the same way, for information.
- The transferred size of ``/products/`` and of a product page with
  photos (HTML gzipped by the server, plus the gzipped CSS and JS the page
  loads) against the 50 KB budget.
- Queries per page for ``/products/`` (its cache retired first) and a
  product page with the seeded data and with twice as many products: they
  must be equal. A cached ``/products/`` makes none.
- In process (Django's test client, no server): the time of a ``/products/``
  request when its cached HTML has just been retired (every query and the
  whole render: what a visitor pays right after a change) and when it is
  cached, against the bare page.
- Peak memory: the server worker's resident high-water mark, and this
  process's.

``KETNOI_BENCH_REQUESTS`` (per target per round, default 250),
``KETNOI_BENCH_ROUNDS`` (default 6) and ``KETNOI_BENCH_THREADS`` (default 4)
change the load; ``KETNOI_BENCH_PRODUCTS`` the data.
"""

from __future__ import annotations

import gzip
import http.client
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchlib  # noqa: F401 - puts src/ on the path
from benchlib import ROOT, report

PRODUCTS = int(os.environ.get("KETNOI_BENCH_PRODUCTS", "300"))
REQUESTS = int(os.environ.get("KETNOI_BENCH_REQUESTS", "250"))
THREADS = int(os.environ.get("KETNOI_BENCH_THREADS", "4"))
ROUNDS = int(os.environ.get("KETNOI_BENCH_ROUNDS", "6"))
WARMUP = 50
BUDGET_BYTES = 50 * 1024
TARGET_RATIO = 0.60
BENCH_DIR = Path(__file__).resolve().parent

PLACES = [  # (province codename, commune name) — real communes after the 2025 reform
    ("son_la", "Xã Mường Bú"),
    ("lao_cai", "Xã Bắc Hà"),
    ("son_la", "Xã Mộc Châu"),
    ("dien_bien", ""),
    ("lai_chau", ""),
    ("tuyen_quang", ""),
    ("cao_bang", ""),
]
GOODS = [
    ("brocade-textiles", "Khăn thổ cẩm", "Brocade scarf", "chiếc", 350_000, 300),
    ("food", "Miến tỏi đen", "Black-garlic vermicelli", "gói 500 g", 85_000, 550),
    ("tea-coffee", "Chè Shan tuyết", "Shan tuyet tea", "hộp 200 g", 180_000, 250),
    ("honey", "Mật ong bạc hà", "Mint honey", "chai 500 ml", 250_000, 800),
    ("liquor", "Rượu men lá", "Herbal yeast liquor", "chai 500 ml", 120_000, 900),
    ("handicrafts", "Giỏ mây tre", "Rattan basket", "chiếc", 150_000, 400),
    ("herbs-medicinal", "Trà hoa vàng", "Golden camellia tea", "gói 100 g", 220_000, 150),
]


def _environment(var_dir: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KETNOI_") or k.startswith("KETNOI_BENCH_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="catalogue_settings",
        KETNOI_VAR_DIR=var_dir,
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
        KETNOI_NOTIFY_ADAPTER="ketnoi.core.notify.MemorySender",
        PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(ROOT / "src")]),
    )
    return env


def _setup_django(var_dir: str) -> None:
    os.environ.clear()
    os.environ.update(_environment(var_dir))
    sys.path.insert(0, str(BENCH_DIR))
    Path(var_dir, "static").mkdir()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _image(rng: random.Random) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (1200, 900), tuple(rng.randrange(60, 220) for _ in range(3)))
    image.paste((240, 240, 235), (400, 300, 800, 600))
    for x in range(400, 800, 40):
        image.paste((30, 30, 30), (x, 300, x + 20, 600))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _seed(count: int, *, start: int = 0, rng: random.Random) -> str:
    """``count`` products of a dozen sellers, one in four with a photo; the slug of one with photos."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ketnoi.accounts.models import Role, RoleAssignment, User
    from ketnoi.market.models import Category, Seller
    from ketnoi.market.services.catalogue import category_sync, product_create, seller_create, seller_verify
    from ketnoi.market.services.photos import photo_add
    from ketnoi.places.models import Commune

    category_sync()
    categories = {c.slug: c for c in Category.objects.all()}
    sellers = list(Seller.objects.order_by("pk"))
    if not sellers:
        admin = User.objects.create_user("0900000001", "bench-pass-2026", display_name="Admin")
        RoleAssignment.objects.create(user=admin, role=Role.ADMINISTRATOR)
        for i in range(12):
            codename, name = PLACES[i % len(PLACES)]
            communes = Commune.objects.filter(province__codename=codename)
            commune = communes.filter(name=name).first() if name else None
            commune = commune or communes.order_by("code")[i]
            leader = User.objects.create_user(
                f"09100000{i:02d}", "bench-pass-2026", display_name=f"Chị Ơn {i}"
            )
            RoleAssignment.objects.create(user=leader, role=Role.SELLER)
            seller = seller_create(
                actor=None,
                leader=leader,
                name=f"HTX Bản Lướt {i}",
                kind="cooperative",
                commune=commune,
                village=f"Bản {i}",
                story="Chúng tôi là chị em người Thái làm nghề theo cách của bà, mẹ.",
                women_led=True,
                bank_bin="970405",
                bank_account=f"71002051{i:05d}",
            )
            if i % 2 == 0:
                seller_verify(admin, seller)
            sellers.append(seller)
    photo_slug = ""
    for n in range(start, start + count):
        slug, name, name_en, unit, price, weight = GOODS[n % len(GOODS)]
        stars = rng.choice([None, None, 3, 4, 5])
        product = product_create(
            actor=None,
            seller=sellers[n % len(sellers)],
            name=f"{name} số {n}",
            name_en=f"{name_en} no. {n}",
            category=categories[slug],
            price_vnd=price + 1000 * (n % 50),
            unit=unit,
            weight_g=weight,
            stock=rng.randrange(0, 40),
            ocop_stars=stars,
            ocop_year=2018 + n % 7 if stars else None,
            story_who="Chị Lò Thị Ơn và các chị em trong bản.",
            story_how="Làm tay theo cách truyền thống, mỗi mẻ mất vài ngày.",
            story_from="Nguyên liệu tự trồng trên nương.",
            story_meaning="Nghề của bà, mẹ để lại, giúp chị em có thu nhập.",
        )
        if n % 4 == 0:
            photos = 3 if not photo_slug else 1
            for _ in range(photos):
                photo_add(None, product, SimpleUploadedFile("a.jpg", _image(rng), content_type="image/jpeg"))
            photo_slug = photo_slug or product.slug
    return photo_slug


def _queries(url: str) -> int:
    """Queries of one request of ``url`` with nothing cached (the catalogue's cache just retired)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ketnoi.market.services.catalogue import catalogue_changed

    client = Client()
    client.get(url)
    catalogue_changed()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def _in_process_ms(photo_slug: str) -> dict[str, float]:
    """Milliseconds per request through the test client: bare, /products/ cached and just retired."""
    from django.test import Client

    from ketnoi.market.services.catalogue import catalogue_changed

    client = Client(HTTP_ACCEPT_ENCODING="gzip")
    count = 100

    def bare() -> None:
        client.get("/bench/bare/")

    def cached() -> None:
        client.get("/products/")

    def retired() -> None:
        catalogue_changed()
        client.get("/products/")

    def product_page() -> None:
        client.get(f"/products/{photo_slug}/")

    runs = {
        "bare": bare,
        "products_cached": cached,
        "products_retired": retired,
        "product_page": product_page,
    }
    for run in runs.values():
        run()
    totals = dict.fromkeys(runs, 0.0)
    for _ in range(count):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            totals[name] += time.perf_counter() - start
    return {name: total / count * 1000 for name, total in totals.items()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(var_dir: str, port: int) -> subprocess.Popen[bytes]:
    granian = Path(sys.executable).with_name("granian")
    server = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
            "ketnoi.wsgi:application",
        ],
        env=_environment(var_dir),
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = _get(port, "/bench/bare/")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"granian did not start: {server.stderr.read().decode() if server.stderr else ''}")


def _get(
    port: int,
    path: str,
    connection: http.client.HTTPConnection | None = None,
    cookies: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """GET ``path`` as a browser would: gzip accepted, and the cookies it was given sent back."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": "gzip", "Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if cookies is not None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
    if connection is None:
        conn.close()
    return response.status, body


def _load(port: int, path: str, requests: int, threads: int) -> tuple[float, list[float]]:
    """Send ``requests`` GETs of ``path`` from ``threads`` keep-alive connections; (seconds, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [requests]
    failures: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cookies: dict[str, str] = {}  # one visitor per connection, keeping her cookies
        mine: list[float] = []
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            start = time.perf_counter()
            status, _ = _get(port, path, conn, cookies)
            mine.append(time.perf_counter() - start)
            if status != 200:
                failures.append(f"{path}: {status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return elapsed, latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _children_hwm_bytes(pid: int) -> int:
    """Resident high-water mark of ``pid``'s process tree (Linux /proc), in bytes."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) * 1024
        pending.extend(int(c) for c in children)
    return total


def _page_weight(port: int, path: str) -> dict[str, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Accept-Encoding": "gzip", "Host": "127.0.0.1"})
    response = conn.getresponse()
    body = response.read()
    encoded = response.getheader("Content-Encoding") == "gzip"
    conn.close()
    html = len(body) if encoded else len(gzip.compress(body))
    static = ROOT / "src" / "ketnoi" / "core" / "static" / "ketnoi"
    assets = sum(len(gzip.compress((static / name).read_bytes(), 9)) for name in ("site.css", "site.js"))
    return {"html_gzip": html, "assets_gzip": assets, "total": html + assets}


def main() -> None:
    var_dir = tempfile.mkdtemp(prefix="ketnoi-bench-catalogue-")
    server = None
    try:
        _setup_django(var_dir)
        rng = random.Random(2026)
        started = time.perf_counter()
        photo_slug = _seed(PRODUCTS, rng=rng)
        seed_seconds = time.perf_counter() - started
        from django.db import connection

        connection.close()

        port = _free_port()
        server = _start_server(var_dir, port)
        targets = {
            "bare": "/bench/bare/",
            "frame": "/bench/frame/",
            "products": "/products/",
            "search": "/products/?q=tho+cam",
        }
        for path in targets.values():  # warm the caches of both sides
            _load(port, path, WARMUP, THREADS)
        elapsed = dict.fromkeys(targets, 0.0)
        latencies: dict[str, list[float]] = {name: [] for name in targets}
        round_ratios: list[float] = []
        for _ in range(ROUNDS):
            this_round = {}
            for name, path in targets.items():
                seconds, lat = _load(port, path, REQUESTS, THREADS)
                elapsed[name] += seconds
                latencies[name].extend(lat)
                this_round[name] = seconds
            round_ratios.append(this_round["bare"] / this_round["products"])
        rps = {name: REQUESTS * ROUNDS / elapsed[name] for name in targets}
        weights = {
            "products": _page_weight(port, "/products/"),
            "product": _page_weight(port, f"/products/{photo_slug}/"),
        }
        server_hwm = _children_hwm_bytes(server.pid)
        server.terminate()
        server.wait(timeout=10)
        server = None

        in_process = _in_process_ms(photo_slug)
        queries_before = {"products": _queries("/products/"), "product": _queries(f"/products/{photo_slug}/")}
        _seed(PRODUCTS, start=PRODUCTS, rng=rng)
        queries_after = {"products": _queries("/products/"), "product": _queries(f"/products/{photo_slug}/")}

        figures: dict[str, object] = {
            "products_seeded": PRODUCTS,
            "seed_seconds": seed_seconds,
            "requests_per_target": REQUESTS * ROUNDS,
            "threads": THREADS,
            "bare_rps": rps["bare"],
            "products_rps": rps["products"],
            "search_rps": rps["search"],
            "products_vs_bare_ratio": rps["products"] / rps["bare"],
            "products_vs_bare_ratio_median_round": statistics.median(round_ratios),
            "search_vs_bare_ratio": rps["search"] / rps["bare"],
            "products_vs_frame_ratio": rps["products"] / rps["frame"],
            "target_ratio": TARGET_RATIO,
        }
        for name in targets:
            figures[f"{name}_p50_ms"] = statistics.median(latencies[name]) * 1000
            figures[f"{name}_p99_ms"] = _percentile(latencies[name], 0.99) * 1000
        for name, weight in weights.items():
            figures[f"{name}_page_html_gzip_bytes"] = weight["html_gzip"]
            figures[f"{name}_page_total_gzip_bytes"] = weight["total"]
            figures[f"{name}_page_budget_share"] = weight["total"] / BUDGET_BYTES
        for name in queries_before:
            figures[f"{name}_queries_{PRODUCTS}"] = queries_before[name]
            figures[f"{name}_queries_{2 * PRODUCTS}"] = queries_after[name]
        for name, ms in in_process.items():
            figures[f"in_process_{name}_ms"] = ms
        figures["server_worker_peak_rss_bytes"] = server_hwm
        notes = [
            "granian --interface wsgi, 1 worker; load generator: Python threads with keep-alive http.client "
            f"connections, {THREADS} at a time, gzip accepted; both sides interleaved over {ROUNDS} rounds",
            "bare = a Django view rendering one small template through the same server and middleware",
            "/products/ under load is served from its cache (steady state: the catalogue changes far less "
            "often than it is read); in_process_products_retired_ms is the cost right after a change",
            "page sizes: the HTML as the server gzips it, plus site.css and site.js gzipped (level 9); "
            "product images excluded",
            f"the product page measured has {3} photos; budget {BUDGET_BYTES} bytes",
        ]
        ok_ratio = figures["products_vs_bare_ratio"] >= TARGET_RATIO  # type: ignore[operator]
        ok_weight = all(w["total"] <= BUDGET_BYTES for w in weights.values())
        ok_queries = queries_before == queries_after
        if not (ok_ratio and ok_weight and ok_queries):
            notes.append(
                f"BELOW TARGET: ratio ok={ok_ratio}, weight ok={ok_weight}, fixed queries ok={ok_queries}"
            )
        report("catalogue", figures, notes)
    finally:
        if server is not None:
            server.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
