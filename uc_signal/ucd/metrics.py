"""Prometheus metrics of one ucd (prometheus-client, a registry per daemon).

Counting on the hot path is a dict increment (`SipMetrics`); everything else is read at
scrape time by `DaemonCollector` from the counters the transport manager and the binding
writer already keep, so nothing is counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from ..sip import Request, Response, TransactionKey, TransactionLayer
from ..sip.transaction_table import TransactionState
from ..transport import TransportManager


_UNFINISHED = (TransactionState.CALLING, TransactionState.TRYING, TransactionState.PROCEEDING)


def response_class(status: int) -> str:
    return f"{status // 100}xx"


class SipMetrics:
    """Requests received by method; transactions completed by method, response class and
    role (server: the final response we sent; client: the one we received or the 408/503
    a timeout or transport error stands for, RFC 3261 8.1.3.1)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.transactions: Counter[tuple[str, str, str]] = Counter()

    def request_received(self, request: Request) -> None:
        self.requests[request.method] += 1

    def final_response(self, role: str, method: str, status: int) -> None:
        self.transactions[(role, method, response_class(status))] += 1


class MeteredTransactionLayer(TransactionLayer):
    """The transaction layer, counting each final response a server transaction sends."""

    def __init__(self, metrics: SipMetrics, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.metrics = metrics

    def unfinished(self) -> int:
        """Transactions still waiting for a final response (Calling, Trying, Proceeding):
        what a graceful shutdown lets finish. Completed/Accepted/Confirmed ones only absorb
        retransmissions (Timers J, K, I, L) and need not hold the process."""
        return sum(1 for tx in self._transactions.values() if tx.state in _UNFINISHED)

    def send_response(self, response: Response, now: float, transaction: TransactionKey | None = None,
                      *, stateless: bool = False) -> None:
        super().send_response(response, now, transaction, stateless=stateless)
        if response.status >= 200:
            cseq = response.cseq
            self.metrics.final_response("server", cseq.method if cseq else "UNKNOWN", response.status)


class DaemonCollector(Collector):
    def __init__(self, sip: SipMetrics, manager: TransportManager, registrations: Callable[[], int],
                 users: Callable[[], int], binding_write_errors: Callable[[], int]) -> None:
        self.sip = sip
        self.manager = manager
        self.registrations = registrations
        self.users = users
        self.binding_write_errors = binding_write_errors

    def collect(self) -> Iterator[Metric]:
        # What the C front of UDP answered never reached the counters above: added here as
        # the Python path counts it (a new challenge is a request and a 4xx transaction; a
        # retransmission answered again and an absorbed ACK are messages received only).
        front = self.manager.front.counters() if self.manager.front is not None else None
        answered: dict[str, int] = front["answered"] if front is not None else {}
        registered = int(front["registered"]) if front is not None else 0
        request_counts = Counter(self.sip.requests)
        transaction_counts = Counter(self.sip.transactions)
        for method, count in answered.items():
            if count:
                request_counts[method] += count
                transaction_counts[("server", method, "4xx")] += count
        if registered:  # authenticated REGISTERs the front verified and the registrar took
            request_counts["REGISTER"] += registered
            transaction_counts[("server", "REGISTER", "2xx")] += registered
        requests = CounterMetricFamily("ucd_sip_requests", "SIP requests received (new transactions and ACKs)",
                                       labels=["method"])
        for method, count in sorted(request_counts.items()):
            requests.add_metric([method], count)
        yield requests
        transactions = CounterMetricFamily("ucd_sip_transactions", "SIP transactions completed, by final response",
                                           labels=["role", "method", "class"])
        for (role, method, klass), count in sorted(transaction_counts.items()):
            transactions.add_metric([role, method, klass], count)
        yield transactions
        yield GaugeMetricFamily("ucd_sip_transactions_open", "transactions in the transaction layer",
                                value=len(self.manager.layer))
        if isinstance(self.manager.layer, MeteredTransactionLayer):
            yield GaugeMetricFamily("ucd_sip_transactions_unfinished", "transactions awaiting a final response",
                                    value=self.manager.layer.unfinished())
        yield GaugeMetricFamily("ucd_registrations", "registered contacts (bindings) in the location service",
                                value=self.registrations())
        yield GaugeMetricFamily("ucd_users", "users in the directory", value=self.users())
        connections = GaugeMetricFamily("ucd_sip_connections", "open SIP connections", labels=["transport"])
        by_transport: Counter[str] = Counter(connection.peer.transport for connection in self.manager.connections)
        for transport in ("TCP", "TLS", "WS", "WSS"):
            connections.add_metric([transport], by_transport.get(transport, 0))
        yield connections
        counters = self.manager.counters
        front_handled = (sum(answered.values()) + registered + int(front["resent"]) + int(front["absorbed"])
                         if front is not None else 0)
        for name, value, doc in (
                ("ucd_sip_messages_received", counters.messages_received + front_handled, "SIP messages received"),
                ("ucd_sip_connections_accepted", counters.connections_accepted, "connections accepted"),
                ("ucd_sip_connections_refused", counters.connections_refused, "connections refused over the limit"),
                ("ucd_sip_connections_idle_closed", counters.connections_idle_closed, "connections closed idle"),
                ("ucd_sip_keepalives_answered", counters.keepalives_answered, "CRLF keep-alive pings answered"),
                ("ucd_sip_framing_errors", counters.framing_errors, "streams closed because they could not be framed"),
                ("ucd_sip_send_failures", counters.send_failures, "messages that found no flow to go out on"),
                ("ucd_errors", counters.internal_errors, "exceptions caught at the SIP transport boundary"),
                ("ucd_store_binding_write_errors", self.binding_write_errors(), "failed binding write batches")):
            yield CounterMetricFamily(name, doc, value=value)
        malformed = CounterMetricFamily("ucd_sip_malformed", "malformed SIP input", labels=["outcome"])
        malformed.add_metric(["answered"], counters.malformed_answered)
        malformed.add_metric(["dropped"], counters.malformed_dropped)
        yield malformed
        if front is not None:
            handled = CounterMetricFamily("ucd_sip_udp_front", "UDP datagrams the C front of challenges decided on",
                                          labels=["outcome"])
            for outcome in ("resent", "absorbed", "passed", "registered"):
                handled.add_metric([outcome], int(front[outcome]))
            handled.add_metric(["answered"], sum(answered.values()))
            yield handled


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
