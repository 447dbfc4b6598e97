"""The catalogue against the providers' own lists: ``GET /models`` on each configured built-in provider,
marking catalogue entries a provider does not list and the models it lists that the catalogue lacks.

A provider that cannot be asked (no key, an error, a shape we cannot read) leaves its rows unmarked and
is named in a warning; nothing raises. API keys go only into request headers.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import orjson

from multimodel import catalogue, pricing
from multimodel.catalogue import normalize_model_id
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError, ModelWarning
from multimodel.providers import get_dialect
from multimodel.redact import scrub_text, secrets_in
from multimodel.transport import Limits, Transport, TransportError, read_limited, run_sync
from multimodel.wire.errors import error_from_http


def models_frame(providers: dict[str, ProviderConfig], provider: str | None = None, *, live: bool = False,
                 transport: Transport | None = None, timeout: float = 30.0) -> Any:
    """The catalogue (one row per entry, with list prices) for the configured built-in providers, or one;
    with ``live``, a ``listed`` column from each provider's ``/models`` and rows for what only it lists."""
    # a built-in pair (anthropic-messages) serves its dialect's models: listed once, under the dialect's name
    names = [n for n, cfg in providers.items() if cfg.builtin and cfg.api == "chat"]
    if provider is not None:
        if provider not in names:
            raise ConfigError(f"provider={provider!r}: the catalogue covers the built-in providers {sorted(names)}")
        names = [provider]
    df = catalogue.frame(price_of=pricing.lookup)
    df = df[df["provider"].isin(names)].reset_index(drop=True)
    if not live:
        return df
    if transport is None:
        raise ConfigError("live=True needs the client's transport")
    listed = run_sync(_lists([providers[n] for n in names], transport, timeout))
    return _mark(df, listed)


async def _lists(cfgs: list[ProviderConfig], transport: Transport, timeout: float) -> dict[str, list[str] | str]:
    """Each provider's listed model ids, or why they could not be read."""
    found = await asyncio.gather(*(_list(cfg, transport, timeout) for cfg in cfgs))
    return {cfg.name: ids for cfg, ids in zip(cfgs, found, strict=True)}


async def _list(cfg: ProviderConfig, transport: Transport, timeout: float) -> list[str] | str:
    try:
        key = cfg.resolve_key()
    except ConfigError:
        return f"no API key (set {' or '.join(cfg.api_key_env) or 'api_key'})"
    headers = {"Authorization": f"Bearer {key}", **cfg.default_headers}
    listed = await _read_list(cfg, transport, headers, timeout)
    secrets = secrets_in(headers)
    if isinstance(listed, list):  # an id that echoes the key is no model: left out
        return [i for i in listed if scrub_text(i, secrets) == i]
    return scrub_text(listed, secrets)[:500]


async def _read_list(cfg: ProviderConfig, transport: Transport, headers: dict[str, str],
                     timeout: float) -> list[str] | str:
    """The ids the provider lists, or why not (unscrubbed: the caller scrubs), bounded like any answer."""
    try:
        resp = await transport.get(f"{cfg.base_url}/models", headers, timeout)
        try:
            body = await read_limited(resp, Limits().response_bytes)
        finally:
            resp.close()
    except TransportError as exc:
        return exc.message
    if resp.status >= 400:
        return str(error_from_http(resp.status, resp.headers, body))
    if resp.status >= 300:
        return f"HTTP {resp.status} to {resp.headers.get('location', '(no Location)')[:200]}: not followed"
    try:
        ids = get_dialect(cfg.dialect).listed_model_ids(orjson.loads(body))
    except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError):
        ids = None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return "the answer is not a model list"
    return ids


def _mark(df: Any, listed: dict[str, list[str] | str]) -> Any:
    """``listed``: True/False per catalogue entry (<NA> where unknown); rows for models only the provider lists."""
    import pandas as pd

    failed = {name: why for name, why in listed.items() if isinstance(why, str)}
    if failed:
        warnings.warn("could not read the model list of " + "; ".join(f"{n}: {w}" for n, w in failed.items()),
                      ModelWarning, stacklevel=3)
    ids = {name: {normalize_model_id(i) for i in v} for name, v in listed.items() if not isinstance(v, str)}
    marks = []
    for provider, model, family in zip(df["provider"], df["model"], df["family"], strict=True):
        mid = normalize_model_id(model.split("/", 1)[1])
        marks.append(pd.NA if family or provider not in ids else mid in ids[provider])
    df = df.assign(listed=pd.array(marks, dtype="boolean"))
    known = {(p, normalize_model_id(m.split("/", 1)[1])) for p, m in zip(df["provider"], df["model"], strict=True)}
    extra = [{"model": f"{name}/{i}", "provider": name, "status": "not in catalogue", "family": False,
              "listed": True} for name, v in listed.items() if not isinstance(v, str) for i in v
             if (name, normalize_model_id(i)) not in known and _unlisted_in_catalogue(name, i)]
    if extra:
        df = pd.concat([df, pd.DataFrame(extra)], ignore_index=True)
        df["listed"] = df["listed"].astype("boolean")
    return df


def _unlisted_in_catalogue(provider: str, model_id: str) -> bool:
    """A listed model the catalogue has no entry for. A gateway's model counts when its upstream is a built-in
    provider whose entry is missing; other vendors' models behind a gateway are not the catalogue's business."""
    dialect = get_dialect(provider)
    if dialect.gateway:
        resold = dialect.resold(model_id)
        if resold is None:
            return False
        provider, model_id = resold
    match = catalogue.find(provider, model_id)
    return match is None or match.how == "family"


__all__ = ["models_frame"]
