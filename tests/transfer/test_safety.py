"""Hostile and broken files: refused with one clear line, no traceback, no local file read."""

from __future__ import annotations

import gzip
from pathlib import Path

from commentsvc.config import Settings
from tests.processes import run_cli, service_env
from tests.transfer.conftest import run_import

WXR_HEAD = (
    '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
    "<title>t</title><link>https://x.example/a/</link><wp:post_id>1</wp:post_id>"
)


def xxe_file(tmp_path: Path) -> tuple[Path, str]:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + WXR_HEAD
        + "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>&xxe;"
        "</wp:comment_content><wp:comment_date_gmt>2024-01-01 00:00:00</wp:comment_date_gmt>"
        "</wp:comment></item></channel></rss>"
    )
    return path, "TOP-SECRET-VALUE"


def laughs_file(tmp_path: Path) -> Path:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    path = tmp_path / "laughs.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(entities)}]>\n'
        "<disqus><post><message>&lol9;</message></post></disqus>"
    )
    return path


async def test_xxe_refused_and_nothing_read(settings: Settings, tmp_path: Path) -> None:
    path, secret = xxe_file(tmp_path)
    for fmt in ("wordpress", "disqus"):
        code, summary, err = await run_import(settings, fmt, str(path))
        assert code == 1 and summary == {}
        assert "refused" in err and "DTD" in err
        assert secret not in err


async def test_billion_laughs_refused(settings: Settings, tmp_path: Path) -> None:
    code, _, err = await run_import(settings, "disqus", str(laughs_file(tmp_path)))
    assert code == 1 and "refused" in err


async def test_broken_xml_names_the_line(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(WXR_HEAD + "\n<wp:comment>\n<wp:comment_id>1</wp:comment_idd>\n")
    code, _, err = await run_import(settings, "wordpress", str(path))
    assert code == 1 and "broken XML at line 3" in err


async def test_broken_json_lines(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text('{"version": 1}\n{"id": "x", \n')
    code, _, err = await run_import(settings, "remark42", str(path))
    assert code == 1 and "broken JSON at line 2" in err
    code, _, err = await run_import(settings, "commentsvc", str(path))
    assert code == 1 and "not a commentsvc export" in err
    code, _, err = await run_import(settings, "isso", str(path))
    assert code == 1 and "not an Isso database" in err


def test_cli_refuses_without_traceback(tmp_path: Path) -> None:
    path, secret = xxe_file(tmp_path)
    result = run_cli(service_env(tmp_path), "import", "wordpress", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and secret not in result.stderr + result.stdout
    assert "refused" in result.stderr


async def test_dtd_refused_wherever_the_prologue_puts_it(
    settings: Settings, tmp_path: Path
) -> None:
    """Past the first read (a long comment before it), in UTF-16, or gzipped: still refused."""
    path, secret = xxe_file(tmp_path)
    text = path.read_text()
    head, rest = text.split("\n", 1)
    cases = {
        "late.xml": (head + "\n<!--" + "x" * 200_000 + "-->\n" + rest).encode(),
        "utf16.xml": text.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode(
            "utf-16"
        ),
    }
    cases["gz.xml.gz"] = gzip.compress(text.encode())
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        code, summary, err = await run_import(settings, "wordpress", str(tmp_path / name))
        assert code == 1 and summary == {}, name
        assert "refused" in err and "DTD" in err, (name, err)
        assert secret not in err


async def test_undeclared_entity_is_broken_xml(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_text(
        WXR_HEAD + "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>&xxe;"
        "</wp:comment_content></wp:comment></item></channel></rss>"
    )
    code, _, err = await run_import(settings, "wordpress", str(path))
    assert code == 1 and "broken XML at line 1" in err and "undefined entity" in err
