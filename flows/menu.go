package flows

import "github.com/minyi-project/minyi/concern"

// MenuCommand is one entry of a chat's command menu (Telegram's setMyCommands).
type MenuCommand struct {
	Command     string // without the slash
	Description Text
}

// residentMenu is what everyone may do; the other roles' menus add to it.
var residentMenu = []MenuCommand{
	{"report", Text{"zh": "反映诉求", "en": "Report a concern"}},
	{"status", Text{"zh": "我的诉求及办理进展", "en": "My concerns and how they stand"}},
	{"privacy", Text{"zh": "隐私说明：保存什么、为什么、多久", "en": "Privacy: what is kept, why, how long"}},
	{"cancel", Text{"zh": "取消正在填写的内容", "en": "Cancel what I am filling in"}},
	{"start", Text{"zh": "主菜单", "en": "Main menu"}},
	{"lang", Text{"zh": "切换语言 Language (zh / en)", "en": "Language 切换语言 (zh / en)"}},
	{"whoami", Text{"zh": "我的身份", "en": "My role"}},
	{"forget", Text{"zh": "删除我的个人信息", "en": "Erase my personal data"}},
	{"help", Text{"zh": "帮助", "en": "Help"}},
}

var gridMenu = []MenuCommand{
	{"file", Text{"zh": "代居民反映诉求", "en": "File a concern for a resident"}},
	{"mine", Text{"zh": "我代为反映的诉求", "en": "Concerns I filed"}},
}

var staffMenu = []MenuCommand{
	{"digest", Text{"zh": "民意日报：/digest [today|7d|日期]", "en": "Digest: /digest [today|7d|date]"}},
	{"overdue", Text{"zh": "超期未办的诉求", "en": "Concerns past their deadline"}},
	{"show", Text{"zh": "查看诉求：/show 编号", "en": "Show a concern: /show ID"}},
	{"assign", Text{"zh": "交办：/assign 编号 承办单位", "en": "Assign: /assign ID unit"}},
	{"dup", Text{"zh": "标记重复：/dup 编号 原编号", "en": "Mark duplicate: /dup ID OTHER"}},
	{"level", Text{"zh": "时限等级：/level 编号 等级", "en": "Service level: /level ID level"}},
	{"audit", Text{"zh": "操作记录：/audit 编号", "en": "Audit trail: /audit ID"}},
	{"invite", Text{"zh": "邀请网格员：/invite grid 社区/网格", "en": "Invite a grid worker: /invite grid community/grid"}},
}

var adminMenu = []MenuCommand{
	{"invites", Text{"zh": "待使用的邀请码（/invite staff 邀请工作人员）", "en": "Outstanding invite codes (/invite staff to invite staff)"}},
	{"revoke", Text{"zh": "撤销权限：/revoke 用户编号", "en": "Revoke a role: /revoke USER"}},
}

// Menu is the command menu of a role, residents' first: what the role may type.
// (/status with a concern id, for staff, is the same command as residents' /status.)
func Menu(r concern.Role) []MenuCommand {
	out := append([]MenuCommand(nil), residentMenu...)
	switch r {
	case concern.RoleGrid:
		out = append(out, gridMenu...)
	case concern.RoleStaff:
		out = append(out, staffMenu...)
	case concern.RoleAdmin:
		out = append(append(out, staffMenu...), adminMenu...)
	}
	return out
}
