package main

import (
	"net/http"
	"testing"

	"go.uber.org/goleak"
)

// Nothing of minyi's is left running once serve has returned: every goroutine it
// started has an owner that stopped it and waited for it.
func TestNothingLeftRunningAfterStop(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			if mode == "webhook" {
				useWebhook(t)
			}
			api, stop := startServe(t)
			if mode == "webhook" {
				postStart(t)
			}
			api.waitFor(t, "sendMessage")
			stop()
			http.DefaultClient.CloseIdleConnections() // the test's own, to the webhook
			// the fake Bot API's server side runs until the test's clean-up; a connection
			// minyi kept to it would show as its client side (persistConn)
			goleak.VerifyNone(t, before,
				goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"),
				goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
			)
		})
	}
}
