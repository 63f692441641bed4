"""services/federation/pull.py: an answer's data is read only once its manifest's line checks out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jjjcredit.core.federation import messages
from jjjcredit.services.federation import pull
from tests.services.exchange.conftest import producer  # noqa: F401
from tests.services.exchange.test_exchange import export, load_library, receiver  # noqa: F401


def test_an_answer_whose_manifest_is_refused_costs_one_line():
    answer = io.BytesIO(b'{"manifest": 1}\n' + b"x" * 10_000)
    assert pull.read_answer(answer, lambda head: None) == b'{"manifest": 1}\n'
    assert answer.tell() == len(b'{"manifest": 1}\n')  # the data never read


def test_an_admitted_answer_is_read_to_its_length_and_one_byte_more():
    answer = io.BytesIO(b"head\n" + b"12345" + b"and more")
    assert pull.read_answer(answer, lambda head: 5) == b"head\n12345a"  # (the extra byte fails the size check)
    assert pull.read_answer(io.BytesIO(b"head\n123"), lambda head: 5) == b"head\n123"  # (short: truncated)


def test_a_manifest_line_is_read_to_a_limit_and_a_data_file_over_the_limit_is_refused():
    long = io.BytesIO(b"{" * (pull.MANIFEST_BYTES + 10))
    seen: list[int] = []
    pull.read_answer(long, lambda head: seen.append(len(head)))  # type: ignore[func-returns-value]
    assert seen == [pull.MANIFEST_BYTES]
    with pytest.raises(pull.FederationError) as refused:
        pull.read_answer(io.BytesIO(b"head\n"), lambda head: pull.PULL_BYTES + 1)
    assert refused.value.code == "federation.pull" and "over the" in refused.value.message


def test_only_a_peers_package_with_its_signature_good_is_admitted(producer: Engine, receiver: Engine,  # noqa: F811
                                                                  tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "a", fmt="jsonl")
    data = (done.path / done.manifest["files"][0]["name"]).read_bytes()
    head = messages.pack(done.manifest, data).partition(b"\n")[0] + b"\n"
    admitted = pull._admitted(receiver, "beijing")
    assert admitted(head) == len(data)
    forged = json.loads(head)
    forged["counts"]["rows"] += 1  # the manifest changed after it was signed
    assert admitted(json.dumps(forged).encode() + b"\n") is None
    assert pull._admitted(producer, "hebei")(head) is None  # the producer does not have itself as a peer
    assert admitted(b"not json\n") is None
