package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/keyproject/kpp/schema"
)

// Collector returns a Prometheus collector of the ingester's progress,
// read from [Ingester.Stats] at each scrape:
//
//	kpp_ingest_messages_total{kind, outcome}  accepted, duplicate, rejected
//	kpp_ingest_batches_total                  batches stored and acknowledged
//	kpp_ingest_retries_total                  failed store attempts retried
//	kpp_ingest_returned_total                 messages handed back at shutdown
//	kpp_ingest_last_batch_size                messages in the last batch
//	kpp_ingest_last_flush_duration_seconds    how long storing it took
//	kpp_ingest_last_flush_timestamp_seconds   when it was acknowledged
//
// Register it on a registry of the caller's (no global state).
func (in *Ingester) Collector() prometheus.Collector { return collector{in} }

type collector struct{ in *Ingester }

var (
	descMessages  = prometheus.NewDesc("kpp_ingest_messages_total", "Messages ingest has finished with, by kind (from the subject) and outcome: accepted (stored), duplicate (already stored), rejected (dead-lettered).", []string{"kind", "outcome"}, nil)
	descBatches   = prometheus.NewDesc("kpp_ingest_batches_total", "Batches stored in ClickHouse and acknowledged.", nil, nil)
	descRetries   = prometheus.NewDesc("kpp_ingest_retries_total", "Failed attempts to store a batch that were retried.", nil, nil)
	descRefused   = prometheus.NewDesc("kpp_ingest_refused_total", "Valid events ClickHouse refused to store (a value its column cannot hold), dead-lettered with rule storage; also counted as rejected.", nil, nil)
	descReturned  = prometheus.NewDesc("kpp_ingest_returned_total", "Messages handed back to JetStream (nak) because ingest stopped before storing them.", nil, nil)
	descBatchSize = prometheus.NewDesc("kpp_ingest_last_batch_size", "Messages in the last batch stored.", nil, nil)
	descFlushDur  = prometheus.NewDesc("kpp_ingest_last_flush_duration_seconds", "How long storing the last batch took, retries included.", nil, nil)
	descFlushAt   = prometheus.NewDesc("kpp_ingest_last_flush_timestamp_seconds", "When the last batch was acknowledged (Unix time; 0 before the first).", nil, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descBatches, descRetries, descRefused, descReturned, descBatchSize, descFlushDur, descFlushAt} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.in.Stats()
	for _, k := range append([]schema.Kind{""}, schema.Kinds()...) {
		n := s.ByKind[k]
		label := string(k)
		if label == "" {
			label = "unknown"
		}
		ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(n.Accepted), label, "accepted")
		ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(n.Duplicate), label, "duplicate")
		ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(n.Rejected), label, "rejected")
	}
	ch <- prometheus.MustNewConstMetric(descBatches, prometheus.CounterValue, float64(s.Batches))
	ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(s.Retries))
	ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(s.Refused))
	ch <- prometheus.MustNewConstMetric(descReturned, prometheus.CounterValue, float64(s.Returned))
	ch <- prometheus.MustNewConstMetric(descBatchSize, prometheus.GaugeValue, float64(s.LastBatchSize))
	ch <- prometheus.MustNewConstMetric(descFlushDur, prometheus.GaugeValue, s.LastFlushDuration.Seconds())
	var at float64
	if !s.LastFlush.IsZero() {
		at = float64(s.LastFlush.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descFlushAt, prometheus.GaugeValue, at)
}
