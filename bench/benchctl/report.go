package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const sectionTitle = "## Redirect cost, tail and durability (issue 15)"

// oldSectionTitles are the names this section had before; replaceSection
// replaces a section under any of them.
var oldSectionTitles = []string{"## Redirect throughput and durability (issue 2)"}

// The bars of issue 15 (DESIGN.md, "Quality bars").
const (
	cpuRatioBar      = 1.5  // Tally's CPU per durable redirect / the bare handler's
	commitWaitBarUS  = 5.0  // Tally's CPU per durable redirect − per async redirect, µs
	pgRatioBar       = 1.25 // PostgreSQL's CPU per durable click / per async click
	lowTallyRatioBar = 2.0  // at the ordinary rate: Tally's CPU per redirect / saturated
	lowPGRatioBar    = 3.0  // at the ordinary rate: PostgreSQL's CPU per click / saturated
)

var (
	rateP99Bar  = 15 * time.Millisecond
	rateP999Bar = 30 * time.Millisecond
	rateMaxBar  = 100 * time.Millisecond
	lowP99Bar   = 10 * time.Millisecond
)

// wrkRun is the BENCH line printed by bench/redirect.lua.
type wrkRun struct {
	Sent, Got302, Other, Requests    int64
	DurationUS                       int64
	ConnectErr, ReadErr, WriteErr    int64
	StatusErr, TimeoutErr            int64
	P50US, P90US, P99US, MaxUS       int64
	Rows, ServerCPUTicks, PGCPUTicks int64
	MachineCPUTicks, IdleBefore      int64
	Present                          bool
}

func (w wrkRun) RPS() float64 {
	if w.DurationUS == 0 {
		return 0
	}
	return float64(w.Requests) / (float64(w.DurationUS) / 1e6)
}

// pgAndRestTicks splits the machine's CPU ticks beyond the server's between
// PostgreSQL and the rest; PostgreSQL's sum can dip below zero by a tick or
// two when one of its processes exits during the run.
func (w wrkRun) pgAndRestTicks() (pg, rest int64) {
	pg = max(w.PGCPUTicks, 0)
	return pg, max(w.MachineCPUTicks-w.ServerCPUTicks-pg, 0)
}

func (w wrkRun) Errors() int64 {
	return w.ConnectErr + w.ReadErr + w.WriteErr + w.TimeoutErr + w.Other
}

func readEnv(path string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	return m
}

func atoi(s string) int64 { n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64); return n }

func readWrk(dir, target, conns string, facts map[string]string) wrkRun {
	var w wrkRun
	data, err := os.ReadFile(filepath.Join(dir, "wrk-"+target+"-c"+conns+".txt"))
	if err != nil {
		return w
	}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "BENCH ") {
			continue
		}
		w.Present = true
		for _, f := range strings.Fields(line)[1:] {
			k, v, _ := strings.Cut(f, "=")
			n := atoi(v)
			switch k {
			case "sent":
				w.Sent = n
			case "got302":
				w.Got302 = n
			case "other":
				w.Other = n
			case "requests":
				w.Requests = n
			case "duration_us":
				w.DurationUS = n
			case "connect_err":
				w.ConnectErr = n
			case "read_err":
				w.ReadErr = n
			case "write_err":
				w.WriteErr = n
			case "status_err":
				w.StatusErr = n
			case "timeout_err":
				w.TimeoutErr = n
			case "p50_us":
				w.P50US = n
			case "p90_us":
				w.P90US = n
			case "p99_us":
				w.P99US = n
			case "max_us":
				w.MaxUS = n
			}
		}
	}
	p := "wrk." + target + ".c" + conns + "."
	w.Rows = atoi(facts[p+"rows"])
	w.ServerCPUTicks = atoi(facts[p+"server_cpu_ticks"])
	w.PGCPUTicks = atoi(facts[p+"pg_cpu_ticks"])
	w.MachineCPUTicks = atoi(facts[p+"machine_cpu_ticks"])
	w.IdleBefore = atoi(facts[p+"idle_before"])
	return w
}

func usMS(us int64) string { return fmt.Sprintf("%.2f ms", float64(us)/1000) }

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func passFail(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**FAIL**"
}

type check struct {
	name, figure string
	ok           bool
}

// report writes the section (or, with -check, prints the acceptance checks
// and fails when one does not pass).
func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	dir := fs.String("dir", "", "the run's output directory")
	md := fs.String("md", "", "BENCHMARKS.md to update")
	onlyCheck := fs.Bool("check", false, "print the acceptance checks; exit 1 when one fails")
	fs.Parse(args)

	facts := readEnv(filepath.Join(*dir, "facts.env"))
	machine := readEnv(filepath.Join(*dir, "machine.env"))
	sizes := readEnv(filepath.Join(*dir, "sizes.env"))
	rate, _ := strconv.ParseFloat(facts["rate"], 64)
	conns := strings.Fields(facts["conns"])

	var checks []check
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	p("%s\n\n", sectionTitle)
	p("Written by `make bench` (`bench/run.sh`) on %s; the whole run took %s s. "+
		"Every figure below comes from that one run: re-run `make bench` to refresh this section.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), facts["elapsed_s"])

	p("### Machine\n\n| | |\n| --- | --- |\n")
	p("| CPUs (`nproc`) | %s |\n| CPU model | %s |\n| memory | %s |\n| kernel | %s |\n", machine["nproc"], machine["cpu"], machine["mem"], machine["kernel"])
	p("| Go | %s |\n| PostgreSQL | %s (same machine, same CPUs; %s for the bench database) |\n", machine["go"], machine["postgres"], machine["pg_settings"])
	p("| generators | %s; vegeta %s |\n\n", machine["wrk"], machine["vegeta"])
	p("Tally, PostgreSQL, the bare server and the load generator all share these CPUs over loopback (127.0.0.1). "+
		"Tally runs with its defaults: durable clicks (each redirect waits for the commit of the batch holding its click), "+
		"`TALLY_LOG_LEVEL=warn`. A redirect answer is %s bytes of headers (Location %s bytes, cookie value %s bytes); "+
		"the bare handler's is %s bytes.\n\n", sizes["tally_header_bytes"], sizes["location_len"], sizes["cookie_len"], sizes["bare_header_bytes"])

	// (a)
	p("### (a) Saturated: wrk, %s per run\n\n", facts["sat_duration"])
	p("| server | connections | requests/s | p50 | p90 | p99 | max | 302s received | other statuses / socket errors | click rows added | requests sent | CPU used: server / PostgreSQL / everything else | machine idle just before |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	dur, _ := time.ParseDuration(facts["sat_duration"])
	secs := dur.Seconds()
	for _, c := range conns {
		for _, target := range []string{"tally", "tally-async", "bare", "bare-hold"} {
			w := readWrk(*dir, target, c, facts)
			if !w.Present {
				continue
			}
			rowsCell := thousands(w.Rows)
			if strings.HasPrefix(target, "bare") {
				rowsCell = "—"
			}
			pg, rest := w.pgAndRestTicks()
			cpu := fmt.Sprintf("%.0f%% / %.0f%% / %.0f%%", float64(w.ServerCPUTicks)/secs, float64(pg)/secs, float64(rest)/secs)
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %d / %d | %s | %s | %s | %d%% |\n", target, c, thousands(int64(w.RPS()+0.5)),
				usMS(w.P50US), usMS(w.P90US), usMS(w.P99US), usMS(w.MaxUS), thousands(w.Got302), w.Other,
				w.ConnectErr+w.ReadErr+w.WriteErr+w.TimeoutErr, rowsCell, thousands(w.Sent), cpu, w.IdleBefore)
		}
	}
	p("\nCPU used is the process's user+system time over the run divided by its length (200%% = both CPUs); PostgreSQL's is the sum of its processes (including other databases' sessions); \"everything else\" is the rest of the machine's busy time: wrk itself, plus any other work running on the machine at the time. \"Machine idle just before\" is the idle share over the 2 s before the run (run.sh waits up to BENCH_QUIET_WAIT seconds for ≥ 85%%). ")
	p("wrk closes its connections at the deadline without reading the answers still in flight, so the rows added lie between the 302s it received and the requests it sent (the difference is at most the connection count).\n\n")
	p("`tally-async` is a diagnostic, not an acceptance figure: a second Tally on the same database with `TALLY_CLICK_MODE=async`, which answers before its click is committed. The gap between it and `bare` is Tally's own work per request; the gap between `tally` and it is what waiting for the commit costs. " +
		"`bare-hold` is a diagnostic too: the bare server holding each answer for a group commit as long as Tally's mean commit in the run before it, with no database behind it (below).\n\n")
	p("| connections | tally / bare throughput | tally-async / bare |\n| ---: | ---: | ---: |\n")
	for _, c := range conns {
		t, bare, async := readWrk(*dir, "tally", c, facts), readWrk(*dir, "bare", c, facts), readWrk(*dir, "tally-async", c, facts)
		if !t.Present || !bare.Present || bare.RPS() == 0 {
			continue
		}
		asyncCell := "—"
		if async.Present {
			asyncCell = fmt.Sprintf("%.2f×", async.RPS()/bare.RPS())
		}
		p("| %s | %.2f× | %s |\n", c, t.RPS()/bare.RPS(), asyncCell)
		inFlight := t.Sent - t.Got302 - t.Other
		checks = append(checks, check{fmt.Sprintf("saturated, %s connections: every 302 received has its row", c),
			fmt.Sprintf("302s %s ≤ rows %s ≤ sent %s (in flight at the deadline: %d)", thousands(t.Got302), thousands(t.Rows), thousands(t.Sent), inFlight),
			t.Got302 <= t.Rows && t.Rows <= t.Sent && t.Other == 0})
	}
	p("\nThroughput is shown for reference; the bars are on CPU per request, below.\n\n")
	sat := cpuPerRequest(p, *dir, conns, facts)
	checks = append(checks, sat.checks...)

	// (b)
	p("### (b) Constant rate: vegeta, %s requests/s for %s\n\n", facts["rate"], facts["rate_duration"])
	tallyRate, _ := constantTable(p, *dir, "rate", rate, facts)
	if tallyRate.Requests > 0 {
		checks = append(checks, check{fmt.Sprintf("%s/s for %s, from the intended send times: p99 ≤ 15 ms, p99.9 ≤ 30 ms, max ≤ 100 ms", facts["rate"], facts["rate_duration"]),
			fmt.Sprintf("p99 %s, p99.9 %s, max %s; %d requests not answered 302", ms(tallyRate.SchedP99), ms(tallyRate.SchedP999), ms(tallyRate.SMax), tallyRate.ErrorCount()),
			tallyRate.SchedP99 <= rateP99Bar && tallyRate.SchedP999 <= rateP999Bar && tallyRate.SMax <= rateMaxBar && tallyRate.ErrorCount() == 0})
		r := atoi(facts["vegeta.rate.tally.rows"])
		checks = append(checks, check{fmt.Sprintf("%s/s: click rows == 302s answered", facts["rate"]),
			fmt.Sprintf("%s rows, %s 302s", thousands(r), thousands(int64(tallyRate.Count302()))), r == int64(tallyRate.Count302())})
	}

	// (c)
	lowRate, _ := strconv.ParseFloat(facts["low_rate"], 64)
	p("### (c) Ordinary load: vegeta, %s requests/s for %s\n\n", facts["low_rate"], facts["low_duration"])
	tallyLow, lowOK := constantTable(p, *dir, "low", lowRate, facts)
	if lowOK && tallyLow.Requests > 0 {
		answered := float64(tallyLow.Count302())
		rows := atoi(facts["vegeta.low.tally.rows"])
		tallyUS := float64(atoi(facts["vegeta.low.tally.server_cpu_ticks"])*tickUS) / answered
		pgUS := 0.0
		if rows > 0 {
			pgUS = float64(max(atoi(facts["vegeta.low.tally.pg_cpu_ticks"]), 0)*tickUS) / float64(rows)
		}
		bareUS := 0.0
		if bare, err := readVegeta(filepath.Join(*dir, "vegeta-low-bare.bin"), lowRate); err == nil && bare.Count302() > 0 {
			bareUS = float64(atoi(facts["vegeta.low.bare.server_cpu_ticks"])*tickUS) / float64(bare.Count302())
		}
		p("CPU per request at %s/s, beside the saturated figures of (a) (the mean over its connection counts):\n\n", facts["low_rate"])
		p("| | at %s/s, µs | saturated, µs | ratio | bar |\n| --- | ---: | ---: | ---: | ---: |\n", facts["low_rate"])
		p("| Tally's process per redirect | %.0f | %.0f | %.2f× | ≤ %.0f× |\n", tallyUS, sat.tallyUS, tallyUS/sat.tallyUS, lowTallyRatioBar)
		p("| PostgreSQL per click | %.0f | %.0f | %.2f× | ≤ %.0f× |\n", pgUS, sat.pgUS, pgUS/sat.pgUS, lowPGRatioBar)
		p("| bare process per redirect (reference) | %.0f | %.0f | %.2f× | |\n\n", bareUS, sat.bareUS, bareUS/sat.bareUS)
		checks = append(checks,
			check{fmt.Sprintf("%s/s: Tally's CPU per redirect ≤ 2× its saturated figure", facts["low_rate"]),
				fmt.Sprintf("%.0f µs vs %.0f µs: %.2f×", tallyUS, sat.tallyUS, tallyUS/sat.tallyUS), sat.tallyUS > 0 && tallyUS <= lowTallyRatioBar*sat.tallyUS},
			check{fmt.Sprintf("%s/s: PostgreSQL's CPU per click ≤ 3× its saturated figure", facts["low_rate"]),
				fmt.Sprintf("%.0f µs vs %.0f µs: %.2f×", pgUS, sat.pgUS, pgUS/sat.pgUS), sat.pgUS > 0 && pgUS <= lowPGRatioBar*sat.pgUS},
			check{fmt.Sprintf("%s/s: p99 ≤ 10 ms from the intended send times", facts["low_rate"]),
				fmt.Sprintf("p99 %s, p99.9 %s, max %s; %d requests not answered 302", ms(tallyLow.SchedP99), ms(tallyLow.SchedP999), ms(tallyLow.SMax), tallyLow.ErrorCount()),
				tallyLow.SchedP99 <= lowP99Bar && tallyLow.ErrorCount() == 0},
			check{fmt.Sprintf("%s/s: click rows == 302s answered", facts["low_rate"]),
				fmt.Sprintf("%s rows, %s 302s", thousands(rows), thousands(int64(tallyLow.Count302()))), rows == int64(tallyLow.Count302())})
	}
	p("vegeta is an open-loop generator: it dispatches each request on its schedule whether or not earlier ones were answered (adding workers as needed) and times it from that dispatch; the \"from the intended send time\" columns recompute every latency from the exact schedule (first send + n / rate), so they also include any lag of the generator itself. The bars are judged on those. Redirects are not followed (`-redirects -1`).\n\n")

	// (d)
	crash, err := readVegeta(filepath.Join(*dir, "vegeta-crash.bin"), rate)
	if err == nil {
		cr := atoi(facts["crash.rows"])
		p("### (d) Crash: `kill -9` at %s requests/s\n\n", facts["rate"])
		p("vegeta sent %s requests/s for %s; tally was killed with SIGKILL %s s in, then restarted once the attack was over, and the rows were counted.\n\n", facts["rate"], facts["crash_duration"], facts["crash_after"])
		p("| requests sent | 302s answered (from vegeta's results file) | other results | click rows added | answered clicks lost |\n| ---: | ---: | --- | ---: | ---: |\n")
		lost := max(int64(crash.Count302())-cr, 0)
		p("| %s | %s | %s | %s | %d |\n\n", thousands(int64(crash.Requests)), thousands(int64(crash.Count302())), crash.CodesString()+"; "+crash.ErrorsString(), thousands(cr), lost)
		p("Rows above the answered 302s are clicks committed whose answer had not left (or had not been read) when the process died: harmless, the click id is unique and the visitor still got a self-contained token only if the answer arrived.\n\n")
		checks = append(checks, check{"kill -9 at the constant rate: no answered click lost",
			fmt.Sprintf("%s rows ≥ %s 302s answered", thousands(cr), thousands(int64(crash.Count302()))), cr >= int64(crash.Count302()) && crash.Count302() > 0})
	}

	// acceptance
	p("### Acceptance (issue 15)\n\n| bar | figure | |\n| --- | --- | --- |\n")
	allOK := true
	for _, c := range checks {
		p("| %s | %s | %s |\n", c.name, c.figure, passFail(c.ok))
		allOK = allOK && c.ok
	}
	p("\n")

	// commands
	p("### Commands\n\n```sh\n%s```\n\n", commands(facts, sizes))
	p("%s", notes)

	if *onlyCheck {
		for _, c := range checks {
			fmt.Printf("%-8s %s: %s\n", map[bool]string{true: "PASS", false: "FAIL"}[c.ok], c.name, c.figure)
		}
		if !allOK {
			return fmt.Errorf("acceptance not met")
		}
		return nil
	}
	return replaceSection(*md, b.String())
}

// tickUS is one clock tick of /proc/PID/stat and /proc/stat in µs: Linux
// reports them in USER_HZ, which is 100 on every architecture.
const tickUS = 10_000

// saturatedCPU is what the saturated runs give the other bars: the mean
// CPU per request over the connection counts, and the checks of (a).
type saturatedCPU struct {
	tallyUS, pgUS, bareUS float64
	checks                []check
}

// cpuPerRequest writes the table that turns each saturated run's CPU time
// into µs per request, with the bars of issue 15: Tally's CPU per durable
// redirect ≤ 1.5× the bare handler's, at most 5 µs over async mode, and
// PostgreSQL's CPU per durable click ≤ 1.25× async mode's.
func cpuPerRequest(p func(string, ...any), dir string, conns []string, facts map[string]string) saturatedCPU {
	var out saturatedCPU
	p("CPU time per request, in µs: each process's CPU time over the run divided by the requests answered " +
		"(PostgreSQL's by the click rows added).\n\n")
	p("| connections | Tally durable | Tally async | bare | Tally durable / bare (bar ≤ 1.5×) | durable − async (bar ≤ 5 µs) | PostgreSQL per click, durable | PostgreSQL per click, async | durable / async (bar ≤ 1.25×) |\n")
	p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	n := 0.0
	for _, c := range conns {
		t, async, bare := readWrk(dir, "tally", c, facts), readWrk(dir, "tally-async", c, facts), readWrk(dir, "bare", c, facts)
		if !t.Present || !async.Present || !bare.Present || t.Requests == 0 || async.Requests == 0 || bare.Requests == 0 {
			continue
		}
		per := func(ticks, n int64) float64 {
			if n <= 0 {
				return 0
			}
			return float64(max(ticks, 0)*tickUS) / float64(n)
		}
		tUS, aUS, bUS := per(t.ServerCPUTicks, t.Requests), per(async.ServerCPUTicks, async.Requests), per(bare.ServerCPUTicks, bare.Requests)
		pgT, pgA := per(t.PGCPUTicks, t.Rows), per(async.PGCPUTicks, async.Rows)
		ratio, pgRatio := tUS/bUS, pgT/pgA
		p("| %s | %.1f | %.1f | %.1f | **%.2f×** | %.1f | %.1f | %.1f | **%.2f×** |\n", c, tUS, aUS, bUS, ratio, tUS-aUS, pgT, pgA, pgRatio)
		out.checks = append(out.checks,
			check{fmt.Sprintf("saturated, %s connections: Tally's CPU per durable redirect ≤ 1.5× bare", c),
				fmt.Sprintf("%.1f µs vs %.1f µs: %.2f×", tUS, bUS, ratio), ratio <= cpuRatioBar},
			check{fmt.Sprintf("saturated, %s connections: waiting for the commit adds ≤ 5 µs of Tally CPU", c),
				fmt.Sprintf("%.1f µs durable − %.1f µs async = %.1f µs", tUS, aUS, tUS-aUS), tUS-aUS <= commitWaitBarUS},
			check{fmt.Sprintf("saturated, %s connections: PostgreSQL's CPU per durable click ≤ 1.25× async", c),
				fmt.Sprintf("%.1f µs vs %.1f µs: %.2f×", pgT, pgA, pgRatio), pgRatio <= pgRatioBar})
		out.tallyUS += tUS
		out.pgUS += pgT
		out.bareUS += bUS
		n++
	}
	if n > 0 {
		out.tallyUS /= n
		out.pgUS /= n
		out.bareUS /= n
	}
	p("\nCPU time is user+system from /proc (clock ticks of 10 ms), read before and after each run; PostgreSQL's is the sum of its processes. " +
		"`tally-async` is a second Tally on the same database with `TALLY_CLICK_MODE=async` (it answers before its click is committed): " +
		"the gap between it and `tally` is what waiting for the commit costs.\n\n")
	holdTable(p, dir, conns, facts)
	return out
}

// holdTable compares the bare server with itself holding every answer for
// a group commit (bench/barehttp -hold), to show what waiting alone costs
// a server on this machine, apart from any work of Tally's.
func holdTable(p func(string, ...any), dir string, conns []string, facts map[string]string) {
	var rows []string
	for _, c := range conns {
		t, bare, hold := readWrk(dir, "tally", c, facts), readWrk(dir, "bare", c, facts), readWrk(dir, "bare-hold", c, facts)
		if !t.Present || !bare.Present || !hold.Present || t.Requests == 0 || bare.Requests == 0 || hold.Requests == 0 {
			continue
		}
		tUS := float64(max(t.ServerCPUTicks, 0)*tickUS) / float64(t.Requests)
		bUS := float64(max(bare.ServerCPUTicks, 0)*tickUS) / float64(bare.Requests)
		hUS := float64(max(hold.ServerCPUTicks, 0)*tickUS) / float64(hold.Requests)
		rows = append(rows, fmt.Sprintf("| %s | %s µs | %s | %.1f | %.1f | %.2f× | %.2f× |\n", c, facts["wrk.bare-hold.c"+c+".hold_us"],
			thousands(int64(hold.RPS()+0.5)), bUS, hUS, hUS/bUS, tUS/hUS))
	}
	if len(rows) == 0 {
		return
	}
	p("What waiting alone costs: `bare-hold` is the bare handler, with no database, holding each answer for a group commit: " +
		"a request joins the gathering group, one goroutine releases a group a hold after taking it, and the next group gathers meanwhile, " +
		"the shape of Tally's click writer at its cheapest (one channel closed per group). The hold is Tally's mean batch commit time " +
		"(`tally_click_commit_seconds`) in the durable run just before.\n\n")
	p("| connections | hold | bare-hold requests/s | bare, µs per request | bare-hold, µs per request | bare-hold / bare | Tally durable / bare-hold |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		p("%s", r)
	}
	p("\n")
}

// constantTable writes the table of one constant-rate run (tally and bare)
// and returns tally's summary; ok is false when tally's results are missing.
func constantTable(p func(string, ...any), dir, name string, rate float64, facts map[string]string) (tally vegetaSummary, ok bool) {
	p("| server | requests | status codes | errors | vegeta's p50 / p99 / p99.9 / max | from the intended send time: p50 / p99 / p99.9 / max | click rows added | machine idle just before |\n")
	p("| --- | ---: | --- | --- | --- | --- | ---: | ---: |\n")
	for _, target := range []string{"tally", "bare"} {
		s, err := readVegeta(filepath.Join(dir, "vegeta-"+name+"-"+target+".bin"), rate)
		if err != nil {
			continue
		}
		rowsCell := thousands(atoi(facts["vegeta."+name+"."+target+".rows"]))
		if target == "bare" {
			rowsCell = "—"
		} else {
			tally, ok = s, true
		}
		p("| %s | %s | %s | %s | %s / %s / %s / %s | %s / %s / %s / %s | %s | %s%% |\n", target, thousands(int64(s.Requests)), s.CodesString(), s.ErrorsString(),
			ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max), ms(s.SchedP50), ms(s.SchedP99), ms(s.SchedP999), ms(s.SMax), rowsCell, facts["vegeta."+name+"."+target+".idle_before"])
	}
	p("\n")
	return tally, ok
}

func commands(facts, sizes map[string]string) string {
	var b strings.Builder
	w := func(s string, a ...any) { fmt.Fprintf(&b, s+"\n", a...) }
	w("make bench    # = bash bench/run.sh; it runs, in order:")
	w("CGO_ENABLED=0 go build -o bin/tally ./cmd/tally")
	w("go -C bench build -o $OUT/bin/vegeta github.com/tsenart/vegeta/v12   # bench/go.mod's tool: same as `cd bench && go tool vegeta`")
	w("PG_URL=$(bash scripts/pg-setup.sh)                          # role tally/tally; DB_URL = same URL, database tally_bench")
	w("psql \"$PG_URL\" -c 'DROP DATABASE IF EXISTS tally_bench WITH (FORCE)'; psql \"$PG_URL\" -c 'CREATE DATABASE tally_bench'")
	w("TALLY_ADDR=127.0.0.1:18090 TALLY_PUBLIC_URL=http://127.0.0.1:18090 TALLY_DATABASE_URL=$DB_URL \\")
	w("  TALLY_ADMIN_TOKEN=$ADMIN_TOKEN TALLY_LOG_LEVEL=warn bin/tally serve &")
	w("benchctl seed -url http://127.0.0.1:18090 -admin $ADMIN_TOKEN -partners 10 -links 100 -keys keys.txt   # through the real API")
	w("barehttp -addr 127.0.0.1:18091 -location-len %s -token-len %s &   # sizes taken from a real tally redirect", sizes["location_len"], sizes["cookie_len"])
	w("TALLY_ADDR=127.0.0.1:18092 TALLY_CLICK_MODE=async … bin/tally serve &   # diagnostic: the same, answering before the commit")
	w("wrk -t2 -c64 -d3s -s bench/redirect.lua http://127.0.0.1:18090 -- keys.txt   # warm-up, then the same on :18091 and :18092")
	for _, c := range strings.Fields(facts["conns"]) {
		w("wrk -t2 -c%s -d%s --latency -s bench/redirect.lua http://127.0.0.1:18090 -- keys.txt   # then :18092 (async), :18091 (bare)", c, facts["sat_duration"])
		w("barehttp -addr 127.0.0.1:18093 … -hold %sus &   # Tally's mean commit in that run; then the same wrk on :18093 (bare-hold)", facts["wrk.bare-hold.c"+c+".hold_us"])
	}
	w("vegeta attack -rate %s/s -duration %s -redirects -1 -timeout 10s -targets targets-tally.txt -output /dev/shm/…/vegeta-rate-tally.bin   # then targets-bare.txt", facts["rate"], facts["rate_duration"])
	w("vegeta attack -rate %s/s -duration %s -redirects -1 -timeout 10s -targets targets-tally.txt -output /dev/shm/…/vegeta-low-tally.bin   # then targets-bare.txt", facts["low_rate"], facts["low_duration"])
	w("benchctl vegeta -rate %s vegeta-rate-tally.bin; benchctl vegeta -rate %s vegeta-low-tally.bin", facts["rate"], facts["low_rate"])
	w("vegeta attack -rate %s/s -duration %s -redirects -1 -timeout 5s -targets targets-tally.txt -output /dev/shm/…/vegeta-crash.bin &", facts["rate"], facts["crash_duration"])
	w("sleep %s; kill -9 $TALLY_PID; wait; <restart tally as above>", facts["crash_after"])
	w("benchctl rows -db $DB_URL -settle   # SELECT count(*) FROM clicks, before and after each run")
	w("psql $DB_URL -c CHECKPOINT; sync   # before each run, after the count (role tally is granted pg_checkpoint)")
	w("awk '{print $14 + $15}' /proc/$PID/stat   # CPU ticks of tally, bare and every postgres process, before and after each run")
	return b.String()
}

const notes = `### How it is measured

- ` + "`bench/redirect.lua`" + ` rotates over the 100 link keys and six real browser user agents
  (Chrome, Safari, iOS Safari, Firefox, Android Chrome, Edge), counts the requests it
  sends and the 302s it receives in a ` + "`response`" + ` hook, and prints them with wrk's own
  figures. The same script drives the bare server, so the generator's cost is the same
  on both sides.
- vegeta's targets (` + "`targets-*.txt`" + `) are one ` + "`GET /r/KEY`" + ` per link with a browser
  ` + "`User-Agent`" + `, used round-robin. vegeta keeps every answer's headers in its results,
  about 1 KB a request, so they are written to memory (` + "`/dev/shm`" + `) during the runs and
  moved to the output directory after: on the disk PostgreSQL's WAL is on, the kernel
  wrote them back in bursts of about 150 MB every 30 s, and each burst held a WAL flush
  for 50–120 ms, the generator's own tail in the server's figures.
- Click rows are counted with ` + "`SELECT count(*) FROM clicks`" + ` before and after every run,
  once the count has stopped moving. PostgreSQL keeps ` + "`synchronous_commit=on`" + ` and
  ` + "`fsync=on`" + `: every 302 left after the COMMIT of its click's batch returned. After
  the count, a ` + "`CHECKPOINT`" + ` and ` + "`sync`" + ` write out what earlier runs left dirty (the
  count and autovacuum's pass over ` + "`clicks`" + ` dirty every page they touch), so that a run's
  WAL flushes do not queue behind the writes of the run before it.
- What limits the redirect: every 302 waits for a COMMIT that PostgreSQL flushes to disk
  (fsync), and PostgreSQL, Tally and the generator share the same CPUs. A closed-loop
  client (wrk) with C connections cannot go faster than C / (handler time + batch wait +
  commit time), so the 64-connection run measures mostly commit latency, while the bare
  handler needs no database at all. Anything else using the machine or the same
  PostgreSQL cluster (another test suite's CREATE DATABASE forces checkpoints and fsync
  storms) lengthens every commit: read the figures together with the idle and CPU columns.
- Group commit (attribution/store/ingest/clickwriter.go): one writer (database
  connection) by default; the next batch gathers while one commits; a batch waits, at
  most 5 ms from its first click, only for the clicks the recent arrival rate says are
  due and while they keep coming (no gap of three mean intervals), and an idle writer
  writes a lone click at once. A lone click is one INSERT, two or more one COPY (attribution/store/clickcopy.go), into the month's partition of
  ` + "`clicks`" + `; a retried batch that meets ids already written falls back to
  INSERT … ON CONFLICT DO NOTHING.
- The durations are the ones in the issue; a run can be shortened with the variables at
  the top of ` + "`bench/run.sh`" + ` (the section then says the durations used).

`

// replaceSection puts section in place of the existing one in path (up to
// the next "## " heading), or appends it; the rest of the file is kept.
func replaceSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\n"
	}
	lines := strings.SplitAfter(text, "\n")
	start, end := -1, len(lines)
	inFence := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
		}
		if inFence {
			continue
		}
		t := strings.TrimRight(l, "\n")
		if start < 0 && (t == sectionTitle || slices.Contains(oldSectionTitles, t)) {
			start = i
			continue
		}
		if start >= 0 && strings.HasPrefix(t, "## ") {
			end = i
			break
		}
	}
	var out string
	if start < 0 {
		if !strings.HasSuffix(text, "\n\n") {
			text = strings.TrimRight(text, "\n") + "\n\n"
		}
		out = text + section
	} else {
		out = strings.Join(lines[:start], "") + section + strings.Join(lines[end:], "")
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
