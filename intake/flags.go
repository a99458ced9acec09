package intake

import (
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
)

// Flag gives a concern the screening's flags. It only adds: urgency or
// sensitivity the concern carries already (decided at submission) stays, with
// its reason and hazard. Collective action with a time (AdminsOnly) is urgent, for
// admins only, and sensitive.
func Flag(r *concern.Report, f classify.Flags) {
	if urgent := f.Urgent || f.AdminsOnly; urgent && !r.Urgent {
		r.Urgent, r.UrgentReason, r.Hazard = true, f.UrgentReason, string(f.Hazard)
		r.UrgentByModel, r.AdminsOnly = f.ByModel, f.AdminsOnly
		if r.UrgentReason == "" {
			r.UrgentReason = "紧急情形"
		}
	}
	if (f.Sensitive || f.AdminsOnly) && !r.Sensitive {
		r.Sensitive, r.SensitiveReason = true, f.SensitiveReason
		if r.SensitiveReason == "" {
			r.SensitiveReason = "敏感事项：集体行动"
		}
	}
}
