"""``jjjcredit exchange``: export, keys, peers, import (accepted, skipped, refused) through a subprocess, on
two databases standing for two nodes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.storage.engine import make_engine
from tests.cli.test_evidence import run_with
from tests.services.library import library_files

SECRET = {"JJJCREDIT_SIGNING_KEY_SECRET": "cli-exchange-secret"}


def test_export_keys_peers_import(new_database_url: Callable[[], str], tmp_path: Path):
    producer, receiver = new_database_url(), new_database_url()
    for url in (producer, receiver):
        engine = make_engine(url)
        db.upgrade(engine)
        if url == producer:
            path = library_files.organizations(tmp_path / "orgs.csv", library_files.codes(4, seed=3))
            library.ingest_file(engine, str(path), "hebei/market-regulation")
        engine.dispose()
    hebei, beijing = {**SECRET, "JJJCREDIT_NODE": "hebei"}, {"JJJCREDIT_NODE": "beijing"}
    out = tmp_path / "out"
    out.mkdir()
    exported = run_with(hebei, "exchange", "export", "--out", str(out), "--format", "csv", "--csv-encoding",
                        "gb18030", "--db", producer)
    assert exported.returncode == 0, exported.stderr
    package = Path(exported.stdout.strip())
    assert package.parent == out and package.name.startswith("hebei-organizations-all-public-000000000001-")
    assert "--after 4" in exported.stderr
    keys = run_with(hebei, "exchange", "keys", "--db", producer)
    assert keys.returncode == 0 and json.loads(keys.stdout)["node"] == "hebei"
    (tmp_path / "keys.json").write_text(keys.stdout, encoding="utf-8")

    unknown = run_with(beijing, "exchange", "import", str(package), "--db", receiver)
    assert unknown.returncode == 1 and "[exchange.unknown_node]" in unknown.stderr
    receipt = json.loads(package.with_name(package.name + ".receipt.json").read_text("utf-8"))
    assert receipt["status"] == "rejected" and receipt["reason"]["code"] == "exchange.unknown_node"

    added = run_with(beijing, "exchange", "peers", "add", "hebei", "--keys", str(tmp_path / "keys.json"),
                     "--db", receiver)
    assert added.returncode == 0, added.stderr
    own = run_with(beijing, "exchange", "peers", "add", "beijing", "--keys", str(tmp_path / "keys.json"),
                   "--db", receiver)
    assert own.returncode == 2 and "[exchange.peer]" in own.stderr

    accepted = run_with(beijing, "exchange", "import", str(package), "--receipt", str(tmp_path / "r.json"),
                        "--db", receiver)
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["status"] == "accepted" and "4 rows applied" in accepted.stderr
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["counts"] == {"created": 4, "updated": 0,
                                                                             "unchanged": 0}
    beijing_keys = run_with({**beijing, **SECRET}, "exchange", "keys", "--db", receiver)
    (tmp_path / "beijing.json").write_text(beijing_keys.stdout, encoding="utf-8")
    checked = run_with(hebei, "exchange", "receipt", str(tmp_path / "r.json"), "--keys", str(tmp_path / "keys.json"))
    assert checked.returncode == 1 and "[exchange.signature]" in checked.stderr  # unsigned: no secret at beijing
    signed = run_with({**beijing, **SECRET}, "exchange", "import", str(package), "--receipt",
                      str(tmp_path / "s.json"), "--db", receiver)
    assert signed.returncode == 0, signed.stderr
    checked = run_with(hebei, "exchange", "receipt", str(tmp_path / "s.json"), "--keys", str(tmp_path / "beijing.json"))
    assert checked.returncode == 0 and "skipped — exchange.already_applied" in checked.stderr, checked.stderr
    wrong = run_with(hebei, "exchange", "receipt", str(tmp_path / "s.json"), "--keys", str(tmp_path / "keys.json"))
    assert wrong.returncode == 1 and "[exchange.signature]" in wrong.stderr
    skipped = run_with(beijing, "exchange", "import", str(package), "--db", receiver)
    assert skipped.returncode == 0 and "Already applied" in skipped.stderr
    listed = json.loads(run_with(beijing, "exchange", "peers", "list", "--db", receiver).stdout)
    assert listed[0]["name"] == "hebei" and listed[0]["last_package"] == package.name

    data = package / "organizations.csv"
    data.write_bytes(data.read_bytes().replace(b"1", b"2", 1))
    refused = run_with(beijing, "exchange", "import", str(package), "--db", receiver)
    assert refused.returncode == 1 and "[exchange.tampered]" in refused.stderr

    assert run_with(hebei, "exchange", "export", "--out", str(out), "--format", "xlsx",
                    "--db", producer).returncode == 2
    no_secret = run_with({}, "exchange", "export", "--out", str(out), "--db", producer)
    assert no_secret.returncode == 2 and "[evidence.no_secret]" in no_secret.stderr
