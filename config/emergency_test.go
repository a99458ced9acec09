package config

import (
	"strings"
	"testing"
	"time"
)

// The emergency settings: escalation after 10 minutes by default, numbers given
// only where they differ from the national ones, a duty phone when set; each
// mistake named by its variable.
func TestEmergencySettings(t *testing.T) {
	c, err := Load(env(nil, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertEscalate != 10*time.Minute || len(c.EmergencyNumbers) != 0 || c.DutyPhone != "" {
		t.Fatalf("defaults: escalate %v, numbers %v, duty %q", c.AlertEscalate, c.EmergencyNumbers, c.DutyPhone)
	}
	c, err = Load(env(map[string]string{
		"MINYI_ALERT_ESCALATE":    "5m",
		"MINYI_EMERGENCY_NUMBERS": "gas=96777，Crisis=, power = 95598 ",
		"MINYI_DUTY_PHONE":        "0731-88886666",
	}, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertEscalate != 5*time.Minute || c.DutyPhone != "0731-88886666" || len(c.EmergencyNumbers) != 3 ||
		c.EmergencyNumbers["gas"] != "96777" || c.EmergencyNumbers["power"] != "95598" || c.EmergencyNumbers["crisis"] != "" {
		t.Fatalf("set: escalate %v, numbers %v, duty %q", c.AlertEscalate, c.EmergencyNumbers, c.DutyPhone)
	}
	file := "alert_escalate: 20m\nemergency_numbers: fire=119,medical=120,police=110,traffic=122,gas=,power=95598,crisis=12356\nduty_phone: \"+86 731 8888 6666\"\n"
	c, err = Load(env(nil, map[string]string{"/etc/minyi.yaml": file}), "/etc/minyi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertEscalate != 20*time.Minute || len(c.EmergencyNumbers) != 7 || c.EmergencyNumbers["gas"] != "" || c.DutyPhone != "+86 731 8888 6666" {
		t.Fatalf("from the file: escalate %v, numbers %v, duty %q", c.AlertEscalate, c.EmergencyNumbers, c.DutyPhone)
	}
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"MINYI_ALERT_ESCALATE": "0"}, "MINYI_ALERT_ESCALATE: must be a duration from 1m to 24h"},
		{map[string]string{"MINYI_ALERT_ESCALATE": "30s"}, "MINYI_ALERT_ESCALATE: must be a duration from 1m to 24h"},
		{map[string]string{"MINYI_ALERT_ESCALATE": "soon"}, "MINYI_ALERT_ESCALATE: must be a duration"},
		{map[string]string{"MINYI_EMERGENCY_NUMBERS": "ambulance=120"}, `MINYI_EMERGENCY_NUMBERS: "ambulance" is not a service (fire, medical, police, traffic, gas, power, crisis)`},
		{map[string]string{"MINYI_EMERGENCY_NUMBERS": "fire"}, `MINYI_EMERGENCY_NUMBERS: "fire" should be SERVICE=NUMBER`},
		{map[string]string{"MINYI_EMERGENCY_NUMBERS": "fire="}, "MINYI_EMERGENCY_NUMBERS: fire needs a number (only gas and crisis may be left empty)"},
		{map[string]string{"MINYI_EMERGENCY_NUMBERS": "gas=call the company"}, `MINYI_EMERGENCY_NUMBERS: gas="call the company" is not a phone number`},
		{map[string]string{"MINYI_EMERGENCY_NUMBERS": "gas=,gas=96777"}, `MINYI_EMERGENCY_NUMBERS: "gas" is given twice`},
		{map[string]string{"MINYI_DUTY_PHONE": "ask the office"}, "MINYI_DUTY_PHONE: must be a phone number"},
		{map[string]string{"MINYI_DUTY_PHONE": "12"}, "MINYI_DUTY_PHONE: must be a phone number"},
	} {
		_, err := Load(env(tc.vars, nil), "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.vars, err, tc.want)
		}
	}
}
