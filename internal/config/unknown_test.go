package config

import (
	"reflect"
	"testing"
)

func TestUnknownVariables(t *testing.T) {
	vars := map[string]string{"AUTHD_MODE": "dev", "AUTHD_SECERT": "typo", "AUTHD_PG_PORT": "1"}
	env := NewEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	Load(env)
	environ := []string{"AUTHD_MODE=dev", "AUTHD_SECERT=typo", "AUTHD_PG_PORT=1", "PATH=/bin", "AUTHD_LISTEN_ADDR="}
	got := env.Unknown(environ)
	if want := []string{"AUTHD_SECERT"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unknown = %v, want %v", got, want)
	}
}
