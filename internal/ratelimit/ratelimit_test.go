package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemorySlidingWindow(t *testing.T) {
	m := NewMemory()
	rule := Rule{Window: 10 * time.Second, Max: 3}
	t0 := time.Unix(1000, 0)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _, _ := m.Allow(ctx, "k", rule, t0); !ok {
			t.Fatalf("request %d rejected", i+1)
		}
	}
	ok, retry, _ := m.Allow(ctx, "k", rule, t0.Add(3*time.Second))
	if ok {
		t.Fatal("fourth request admitted")
	}
	if got := RetryAfterSeconds(retry); got != 7 {
		t.Fatalf("retry after = %d s, want 7", got)
	}
	if ok, _, _ := m.Allow(ctx, "other", rule, t0); !ok {
		t.Fatal("another key shares the counter")
	}
	if ok, _, _ := m.Allow(ctx, "k", rule, t0.Add(10*time.Second)); !ok {
		t.Fatal("request after the window rejected")
	}
}

func TestRulesFor(t *testing.T) {
	r := DefaultRules()
	r.Plugin = []PathRule{{Path: "/sign-in/email-otp", Rule: Rule{Window: time.Minute, Max: 3}}}
	cases := map[string]Rule{
		"/ok":                        {10 * time.Second, 100},
		"/sign-in/email":             {10 * time.Second, 3},
		"/request-password-reset":    {60 * time.Second, 3},
		"/forget-password/email-otp": {60 * time.Second, 3},
		"/sign-in/email-otp":         {time.Minute, 3},
	}
	for path, want := range cases {
		if got := r.For(path); got != want {
			t.Errorf("For(%q) = %+v, want %+v", path, got, want)
		}
	}
}
