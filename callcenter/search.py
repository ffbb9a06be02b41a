"""The desk's one search box. Each app registers a provider for what it can
find (customers, and later invoices, tickets, equipment serials...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sesmu.models import User


@dataclass(frozen=True)
class SearchHit:
    kind: str
    kind_label: str
    title: str
    url: str
    subtitle: str = ""
    matched: str = ""
    target: str = ""  # what the hit opens, e.g. "customer:42"; one target opens directly


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    truncated: bool = False

    @property
    def single_target(self) -> SearchHit | None:
        targets = {hit.target or hit.url for hit in self.hits}
        if len(targets) == 1 and not self.truncated:
            return self.hits[0]
        return None


class SearchProvider(Protocol):
    name: str

    def search(self, *, query: str, actor: User, limit: int) -> tuple[list[SearchHit], bool]:
        """Hits for the query the actor may see, and whether more were left out."""


_providers: dict[str, SearchProvider] = {}

MAX_QUERY_LENGTH = 200


def register(provider: SearchProvider) -> None:
    _providers[provider.name] = provider


def providers() -> list[SearchProvider]:
    return list(_providers.values())


def search_everything(*, query: str, actor: User, limit: int = 20) -> SearchResult:
    text = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    result = SearchResult(query=text)
    if not text:
        return result
    for provider in providers():
        hits, truncated = provider.search(query=text, actor=actor, limit=limit)
        result.hits.extend(hits)
        result.truncated = result.truncated or truncated
    if len(result.hits) > limit:
        result.hits = result.hits[:limit]
        result.truncated = True
    return result
