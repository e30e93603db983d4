package suite

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSelection(t *testing.T) {
	tests := []struct {
		name                  string
		only, rates, clients  string
		repeat                int
		wantSections, wantCli []string
		wantRates             []float64
		wantPartial           bool
		wantErr               string
	}{
		{name: "everything", repeat: 1},
		{name: "one rate, one client", only: "rate", rates: "20000", clients: "loadgen", repeat: 1,
			wantSections: []string{"rate"}, wantRates: []float64{20000}, wantCli: []string{"loadgen"}, wantPartial: true},
		{name: "spaces and duplicates", only: "rate, max,rate", rates: "10000, 20000,10000", repeat: 3,
			wantSections: []string{"rate", "max"}, wantRates: []float64{10000, 20000}, wantPartial: true},
		{name: "fractional rate", rates: "1.5", repeat: 1, wantRates: []float64{1.5}, wantPartial: true},
		{name: "unknown section", only: "rates", repeat: 1, wantErr: `-only "rates": unknown name "rates"; allowed, comma-separated: throughput, openloop, rate`},
		{name: "empty item", only: "rate,", repeat: 1, wantErr: `unknown name ""`},
		{name: "unknown client", clients: "hey", repeat: 1, wantErr: `-clients "hey": unknown name "hey"`},
		{name: "rate not a number", rates: "20k", repeat: 1, wantErr: `-rates "20k": "20k" is not a rate`},
		{name: "rate zero", rates: "0", repeat: 1, wantErr: "from 1 to 1000000"},
		{name: "rate NaN", rates: "NaN", repeat: 1, wantErr: "is not a rate"},
		{name: "rate too high", rates: "2000000", repeat: 1, wantErr: "is not a rate"},
		{name: "repeat 0", repeat: 0, wantErr: "-repeat 0: want from 1 to 20"},
		{name: "repeat too many", repeat: 21, wantErr: "-repeat 21"},
		{name: "client section left empty", only: "rate", clients: "wrk", repeat: 1,
			wantErr: `-clients "wrk" leaves section rate nothing to run (its clients: loadgen, fortio, vegeta)`},
		{name: "client section left empty, all sections", clients: "wrk", repeat: 1, wantErr: "leaves section rate nothing to run"},
		{name: "wrk for max only", only: "max", clients: "wrk", repeat: 1,
			wantSections: []string{"max"}, wantCli: []string{"wrk"}, wantPartial: true},
		{name: "clients do not constrain non-client sections", only: "startup,micro", clients: "wrk", repeat: 1,
			wantSections: []string{"startup", "micro"}, wantCli: []string{"wrk"}, wantPartial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := ParseSelection(tt.only, tt.rates, tt.clients, tt.repeat)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sel.Sections, tt.wantSections) || !slices.Equal(sel.Rates, tt.wantRates) || !slices.Equal(sel.Clients, tt.wantCli) {
				t.Errorf("selection = %+v, want sections %v rates %v clients %v", sel, tt.wantSections, tt.wantRates, tt.wantCli)
			}
			if sel.Partial() != tt.wantPartial {
				t.Errorf("Partial() = %v, want %v", sel.Partial(), tt.wantPartial)
			}
		})
	}
}

func TestSelectionNarrowsTheRun(t *testing.T) {
	sel, err := ParseSelection("rate,max", "20000", "loadgen,wrk", 3)
	if err != nil {
		t.Fatal(err)
	}
	s := &Suite{cfg: Config{Select: sel}}
	for sec, want := range map[string]bool{SecThroughput: false, SecOpenLoop: false, SecRate: true, SecMax: true, SecSlow: false, SecStartup: false, SecMicro: false} {
		if got := s.wants(sec); got != want {
			t.Errorf("wants(%s) = %v, want %v", sec, got, want)
		}
	}
	if got := s.clients(SecRate); !slices.Equal(got, []string{cLoadgen}) {
		t.Errorf("rate clients = %v, want [loadgen]", got)
	}
	if got := s.clients(SecMax); !slices.Equal(got, []string{cWrk, cLoadgen}) {
		t.Errorf("max clients = %v, want [wrk loadgen] (in report order)", got)
	}
	if got := sel.String(); got != "-only rate,max -rates 20000 -clients loadgen,wrk -repeat 3" {
		t.Errorf("String() = %q", got)
	}

	all := &Suite{}
	for _, sec := range Sections {
		if !all.wants(sec) {
			t.Errorf("zero selection leaves out %s", sec)
		}
	}
	if got := all.clients(SecMax); !slices.Equal(got, maxClients) {
		t.Errorf("zero selection: max clients = %v, want %v", got, maxClients)
	}
}

func TestPartialRunIsLabelled(t *testing.T) {
	s := synthetic(9500, 1_000_000, 20*1024)
	if strings.Contains(s.document(), "partial:") {
		t.Error("a full run is labelled partial")
	}
	s.cfg.Select = Selection{Sections: []string{SecRate}, Rates: []float64{20000}, Repeat: 2}
	s.res.accuracy[0].round = 2
	doc := s.document()
	if !strings.Contains(doc, "partial: -only rate -rates 20000 -repeat 2") {
		t.Error("a partial run is not labelled with its flags")
	}
	if !strings.Contains(doc, "| loadgen #2 |") {
		t.Error("repeated runs are not numbered in the accuracy table")
	}
}
