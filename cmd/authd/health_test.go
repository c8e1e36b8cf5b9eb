package main

import "testing"

func TestLocalURL(t *testing.T) {
	cases := map[string]string{
		"127.0.0.1:3000": "http://127.0.0.1:3000",
		":3000":          "http://127.0.0.1:3000",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:3000":      "http://[::1]:3000",
		"10.1.2.3:3000":  "http://10.1.2.3:3000",
		"localhost:3000": "http://localhost:3000",
	}
	for in, want := range cases {
		got, err := localURL(in)
		if err != nil || got != want {
			t.Errorf("localURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := localURL("3000"); err == nil {
		t.Error("localURL accepted an address without a port")
	}
}
