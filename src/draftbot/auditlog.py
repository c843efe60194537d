"""The local audit log: every model call, one SQLite row, rows hash-chained against tampering.

Each row holds the time, provider, endpoint host, the model asked for and the one that answered,
the draft, section and repair round, the request and response text exactly as sent and received
(masked text only, in masked runs), usage, cost, duration, and status or error; never the API key.
Row n stores sha256(row n-1's hash + row n's canonical JSON): editing, deleting or inserting a
row breaks the chain from there on (`draftbot log verify`). Someone able to recompute every later
hash can rewrite the log undetected; compare the head hash `verify` prints with one noted earlier.

The file lives in the user data folder (DRAFTBOT_HOME when set).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

from draftbot.resources import user_dir

LOG_NAME = "audit.sqlite3"
GENESIS = "0" * 64
_MAX_ID = 2**63 - 1  # SQLite's largest integer
_LOCK = threading.Lock()


def user_data_dir() -> Path:
    return user_dir("data")


def default_log_path() -> Path:
    return user_data_dir() / LOG_NAME


@dataclass
class CallRecord:
    """One model call as the log keeps it (every field enters the row's hash)."""

    time: str = ""
    run: str = ""
    provider: str = ""
    host: str = ""
    model_asked: str = ""
    model_answered: str = ""
    draft: str = ""
    section: str = ""
    repair_round: int = 0
    attempt: int = 1
    masked: int = 0
    request: str = ""
    response: str = ""
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    currency: str = ""
    duration_s: float = 0.0
    status: str = ""
    error: str = ""
    notes: str = ""


FIELDS = tuple(f.name for f in fields(CallRecord))
# Message texts are stored once, by their SHA-256 (the 9 calls of a draft share most of their
# prompt); a row's `request` holds [{"role", "sha"}] and the row's hash covers those references.
_TEXTS = "CREATE TABLE IF NOT EXISTS texts (sha TEXT PRIMARY KEY, text TEXT NOT NULL)"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    + ", ".join(f"{name}" for name in FIELDS)
    + ", prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
)


def row_hash(prev_hash: str, row_id: int, values: dict) -> str:
    from hashlib import sha256

    canonical = json.dumps(
        {"id": row_id, **{k: values.get(k) for k in FIELDS}}, ensure_ascii=False, sort_keys=True
    )
    return sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


class AuditLog:
    """Appends and reads the chained rows. Safe across threads and processes (SQLite locking)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_log_path()

    def _connect(self) -> sqlite3.Connection:
        from draftbot.errors import InputError

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            # Text that is not UTF-8 was written by someone else: shown with U+FFFD, and its row
            # then fails its hash in `verify` (tampering) instead of crashing every reader.
            conn.text_factory = lambda data: data.decode("utf-8", "replace")
            conn.execute(_SCHEMA)
            conn.execute(_TEXTS)
        except (sqlite3.Error, OSError) as exc:
            raise InputError(
                f"无法打开审计日志“{self.path}”：{exc}",
                hint="日志文件可能已损坏或没有写入权限；可加 --no-log（或在配置文件中写 audit_log = false）关闭记录。",
            ) from exc
        return conn

    def check(self) -> None:
        """Raise a clear error now (before any model call) if the log cannot be opened and written."""
        self._connect().close()

    def append(self, record: CallRecord, *, secrets: tuple[str, ...] = ()) -> int:
        """Write one row (any secret found in its text is blanked first); returns its id."""
        values = _scrub(asdict(record), secrets)
        with _LOCK:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")  # one writer at a time keeps the chain linear
                last = conn.execute("SELECT id, hash FROM calls ORDER BY id DESC LIMIT 1").fetchone()
                row_id = (last["id"] if last else 0) + 1
                prev = last["hash"] if last else GENESIS
                values["request"] = _store_messages(conn, values["request"])
                digest = row_hash(prev, row_id, values)
                columns = ", ".join(("id", *FIELDS, "prev_hash", "hash"))
                marks = ", ".join("?" * (len(FIELDS) + 3))
                conn.execute(
                    f"INSERT INTO calls ({columns}) VALUES ({marks})",
                    (row_id, *(values[k] for k in FIELDS), prev, digest),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()
        return row_id

    def rows(self, *, limit: int | None = None, run: str | None = None) -> list[dict]:
        """The last `limit` rows (all when None) in order, requests expanded to full messages."""
        if not self.path.exists():
            return []
        if limit is not None and limit > _MAX_ID:
            limit = None  # more than any log can hold: all rows
        conn = self._connect()
        try:
            where, args = ("WHERE run = ?", [run]) if run else ("", [])
            sql = f"SELECT * FROM calls {where} ORDER BY id DESC" + (" LIMIT ?" if limit else "")
            rows = conn.execute(sql, [*args, *([limit] if limit else [])]).fetchall()
            out = [_expanded(conn, dict(r)) for r in reversed(rows)]
        finally:
            conn.close()
        return out

    def get(self, row_id: int) -> dict | None:
        if not self.path.exists() or not 0 < row_id <= _MAX_ID:
            return None
        conn = self._connect()
        try:
            row = conn.execute("SELECT * FROM calls WHERE id = ?", (row_id,)).fetchone()
            return _expanded(conn, dict(row)) if row else None
        finally:
            conn.close()

    def verify(self) -> tuple[int, list[str], str]:
        """(rows checked, problems in Chinese, head hash)."""
        problems: list[str] = []
        prev = GENESIS
        expected_id = 1
        count = 0
        referenced: dict[str, int] = {}  # sha -> first row referring to it
        for row in self._iter_rows():
            count += 1
            for sha in _refs(row.get("request")):
                referenced.setdefault(sha, row["id"])
            if row["id"] != expected_id:
                problems.append(f"第 {expected_id} 条记录缺失（下一条是第 {row['id']} 条）")
            if row["prev_hash"] != prev:
                problems.append(f"第 {row['id']} 条记录与前一条的链接对不上（前面的记录被改动、删除或插入）")
            elif row_hash(prev, row["id"], row) != row["hash"]:
                problems.append(f"第 {row['id']} 条记录的内容与其哈希不符（记录被改动）")
            prev = row["hash"]
            expected_id = row["id"] + 1
        problems += self._text_problems(referenced)
        return count, problems, prev

    def _text_problems(self, referenced: dict[str, int]) -> list[str]:
        """Stored message texts changed since written, or referred to but gone."""
        from draftbot.textio import sha256_bytes

        if not self.path.exists():
            return []
        conn = self._connect()
        try:
            stored = {sha: text for sha, text in conn.execute("SELECT sha, text FROM texts")}
        finally:
            conn.close()
        problems = [
            f"第 {referenced.get(sha, '?')} 条等记录引用的消息正文 {sha[:12]}… 被改动"
            for sha, text in stored.items()
            if sha256_bytes(text.encode("utf-8")) != sha
        ]
        problems += [
            f"第 {row_id} 条记录引用的消息正文 {sha[:12]}… 被删除"
            for sha, row_id in referenced.items()
            if sha not in stored
        ]
        return problems

    def _iter_rows(self):
        """Every row in order, one at a time (the log can be large)."""
        if not self.path.exists():
            return
        conn = self._connect()
        try:
            for row in conn.execute("SELECT * FROM calls ORDER BY id"):
                yield dict(row)
        finally:
            conn.close()


def _store_messages(conn: sqlite3.Connection, request: str) -> str:
    """The request (JSON messages) as references to texts stored once each."""
    from draftbot.textio import sha256_bytes

    try:
        messages = json.loads(request) if request else []
    except ValueError:
        return request
    if not isinstance(messages, list):
        return request
    refs = []
    for message in messages:
        text = str(message.get("content") or "")
        sha = sha256_bytes(text.encode("utf-8"))
        conn.execute("INSERT OR IGNORE INTO texts (sha, text) VALUES (?, ?)", (sha, text))
        refs.append({"role": message.get("role"), "sha": sha})
    return json.dumps(refs, ensure_ascii=False)


def _refs(request: str | None) -> list[str]:
    try:
        refs = json.loads(request or "[]")
    except ValueError:
        return []
    return [r["sha"] for r in refs if isinstance(r, dict) and "sha" in r] if isinstance(refs, list) else []


def _expanded(conn: sqlite3.Connection, row: dict) -> dict:
    """The row with its request's message references replaced by the texts."""
    try:
        refs = json.loads(row.get("request") or "[]")
    except ValueError:
        return row
    if not isinstance(refs, list) or not all(isinstance(r, dict) and "sha" in r for r in refs):
        return row
    messages = []
    for ref in refs:
        found = conn.execute("SELECT text FROM texts WHERE sha = ?", (ref["sha"],)).fetchone()
        messages.append({"role": ref.get("role"), "content": found["text"] if found else "（正文缺失）"})
    return {**row, "request": json.dumps(messages, ensure_ascii=False)}


def _scrub(values: dict, secrets: tuple[str, ...]) -> dict:
    secrets = tuple(s for s in secrets if s and len(s) >= 6)
    if not secrets:
        return values
    out = {}
    for key, value in values.items():
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, "****")
        out[key] = value
    return out
