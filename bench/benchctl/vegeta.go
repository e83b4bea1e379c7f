package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// vegetaSummary is what the report needs from one vegeta results file.
type vegetaSummary struct {
	Requests int
	Codes    map[uint16]int // 0 = no answer (transport error)
	Errors   map[string]int
	Duration time.Duration // first send to last send
	// Latencies measured by vegeta (from dispatch of the request, which the
	// open-loop pacer starts on schedule) and from the intended send time
	// (first send + seq/rate), which also charges any lag of the generator.
	P50, P99, P999, Max                 time.Duration
	SchedP50, SchedP99, SchedP999, SMax time.Duration
}

func (v vegetaSummary) Count302() int { return v.Codes[302] }

func (v vegetaSummary) ErrorCount() int {
	n := 0
	for code, c := range v.Codes {
		if code != 302 {
			n += c
		}
	}
	return n
}

func (v vegetaSummary) CodesString() string {
	var codes []int
	for c := range v.Codes {
		codes = append(codes, int(c))
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, v.Codes[uint16(c)]))
	}
	return strings.Join(parts, ", ")
}

func (v vegetaSummary) ErrorsString() string {
	if len(v.Errors) == 0 {
		return "none"
	}
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, n := range v.Errors {
		list = append(list, kv{k, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n })
	var parts []string
	for i, e := range list {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("… %d more kinds", len(list)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%d × %q", e.n, e.k))
	}
	return strings.Join(parts, "; ")
}

// readVegeta decodes a results file written by `vegeta attack -output`.
// rate (requests/s) gives the schedule; 0 skips the schedule latencies.
func readVegeta(path string, rate float64) (vegetaSummary, error) {
	s := vegetaSummary{Codes: map[uint16]int{}, Errors: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	dec := vegeta.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var lat, sched []time.Duration
	var first, last time.Time
	var firstSeq uint64
	type pending struct {
		seq uint64
		end time.Time
	}
	var ends []pending
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return s, fmt.Errorf("%s: %w", path, err)
		}
		s.Requests++
		s.Codes[r.Code]++
		if r.Error != "" {
			e := r.Error
			if i := strings.LastIndex(e, ": "); i >= 0 && r.Code == 0 {
				e = e[i+2:] // keep the cause, drop the per-request URL
			}
			s.Errors[e]++
		}
		lat = append(lat, r.Latency)
		if first.IsZero() || r.Timestamp.Before(first) {
			first, firstSeq = r.Timestamp, r.Seq
		}
		if r.Timestamp.After(last) {
			last = r.Timestamp
		}
		ends = append(ends, pending{r.Seq, r.End()})
	}
	s.Duration = last.Sub(first)
	s.P50, s.P99, s.P999, s.Max = percentiles(lat)
	if rate > 0 {
		interval := time.Duration(float64(time.Second) / rate)
		for _, e := range ends {
			intended := first.Add(time.Duration(e.seq-firstSeq) * interval)
			sched = append(sched, max(e.end.Sub(intended), 0))
		}
		s.SchedP50, s.SchedP99, s.SchedP999, s.SMax = percentiles(sched)
	}
	return s, nil
}

func percentiles(d []time.Duration) (p50, p99, p999, maxv time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(d))+0.5) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return at(0.50), at(0.99), at(0.999), d[len(d)-1]
}

func vegetaCmd(args []string) error {
	fs := flag.NewFlagSet("vegeta", flag.ExitOnError)
	rate := fs.Float64("rate", 0, "the attack's rate, for latencies from the intended send time")
	fs.Parse(args)
	for _, path := range fs.Args() {
		s, err := readVegeta(path, *rate)
		if err != nil {
			return err
		}
		fmt.Printf("%s: requests=%d 302=%d codes={%s} errors={%s} p50=%s p99=%s p99.9=%s max=%s",
			path, s.Requests, s.Count302(), s.CodesString(), s.ErrorsString(), ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max))
		if *rate > 0 {
			fmt.Printf(" | from schedule: p50=%s p99=%s p99.9=%s max=%s", ms(s.SchedP50), ms(s.SchedP99), ms(s.SchedP999), ms(s.SMax))
		}
		fmt.Println()
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
