// Package demo makes realistic synthetic concerns, so that a newcomer sees a real
// digest and benchmarks have something to chew on. The texts are written here from
// templates; none come from real residents.
package demo

import (
	"fmt"
	"math/rand"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// template is one kind of concern: its topic, subtopic and ways of putting it.
type template struct {
	topic, subtopic string
	texts           []string
	urgent          string // the reason, when the kind is urgent
	sensitive       string
	level           concern.Level
}

var templates = []template{
	{topic: "城乡建设", subtopic: "城市建设和市政管理", level: concern.LevelGeneral, texts: []string{
		"{place}{spot}的路灯坏了{time}，晚上一片漆黑，老人和孩子出门很不安全，请尽快维修。",
		"{place}{spot}的井盖缺失{time}，下雨天积水看不见，已经有人差点掉下去。",
		"{place}门口占道经营的摊贩越来越多，早上车辆进不去，{time}没人管。",
		"{place}的垃圾站{time}没有清运，气味很大，夏天苍蝇成群。",
	}},
	{topic: "城乡建设", subtopic: "住房保障与房地产", level: concern.LevelComplex, texts: []string{
		"我们是{place}的业主，交房{time}了房产证还办不下来，开发商一直推脱。",
		"{place}物业费年年涨，服务却越来越差，{spot}的门禁坏了{time}没人修。",
		"{place}的电梯{time}经常停运，{spot}住着很多老人，上下楼非常困难。",
	}},
	{topic: "城乡建设", subtopic: "城市建设和市政管理", level: concern.LevelUtility, texts: []string{
		"{place}{spot}已经停水{time}了，没有任何通知，居民生活很不方便。",
		"{place}{spot}最近经常停电，{time}停了好几次，冰箱里的东西都坏了。",
		"{place}的暖气一直不热，{time}室内温度只有十几度，老人孩子受不了。",
	}},
	{topic: "环境保护", subtopic: "环境污染", level: concern.LevelGeneral, texts: []string{
		"{place}附近的工厂夜里偷排废气，气味刺鼻，{time}居民都睡不好觉。",
		"{place}{spot}的餐馆油烟直排，{time}窗户都不敢开。",
		"{place}旁边的工地夜间施工噪音很大，{time}一直持续到凌晨。",
		"{place}附近的河道发黑发臭，{time}没人治理。",
	}},
	{topic: "劳动和社会保障", subtopic: "工资福利", level: concern.LevelGeneral, texts: []string{
		"我在{place}附近的一家公司上班，公司已经拖欠工资{time}，老板避而不见。",
		"单位{time}没有给员工缴纳社保，也不签劳动合同，我们该怎么办？",
		"请问退休后养老金怎么计算？我的缴费年限差{time}。",
	}},
	{topic: "教育文体", subtopic: "教育行政管理", level: concern.LevelGeneral, texts: []string{
		"{place}附近的小学放学时间太早，双职工家庭接孩子很困难，希望开设课后托管。",
		"孩子所在的学校周末组织有偿补课，每学期收费上千元，已经{time}了。",
		"{place}的社区活动室锁了{time}，希望向老年人和孩子开放。",
	}},
	{topic: "卫生计生", subtopic: "医政监管", level: concern.LevelGeneral, texts: []string{
		"{place}卫生服务站看病排队太长，最近{time}都挂不上号。",
		"{place}附近的药店卖的药比医院贵很多，希望有关部门管一管。",
	}},
	{topic: "交通运输", subtopic: "客货运输", level: concern.LevelGeneral, texts: []string{
		"{place}到街道办的公交车最近减少了班次，已经{time}了，老人出行很不方便。",
		"{place}门口的道路坑坑洼洼，{time}没人修，电动车经常摔倒。",
	}},
	{topic: "商贸旅游", subtopic: "市场监管", level: concern.LevelGeneral, texts: []string{
		"{place}附近的超市出售过期食品，消费者投诉{time}没人处理。",
		"{place}附近有人搞传销，最近天天拉老人去听课买保健品，已经{time}了。",
	}},
	{topic: "民政", subtopic: "社会救助", level: concern.LevelGeneral, texts: []string{
		"我家是困难家庭，申请低保{time}了还没有结果，请帮忙问一下。",
		"{place}的独居老人{time}没人照看，希望社区多关心。",
	}},
	{topic: "城乡建设", subtopic: "安全生产", level: concern.LevelUrgent, urgent: "紧急情形：燃气泄漏", texts: []string{
		"{place}{spot}楼道里闻到很重的煤气味，好像燃气泄漏了，请马上派人来！",
	}},
	{topic: "城乡建设", subtopic: "安全生产", level: concern.LevelUrgent, urgent: "紧急情形：被困", texts: []string{
		"{place}{spot}的电梯困人了，里面有老人，已经十几分钟了，请马上来人！",
	}},
	{topic: "纪检监察", subtopic: "贪污贿赂", level: concern.LevelComplex, sensitive: "敏感事项：贪污", texts: []string{
		"举报{place}有村干部贪污扶贫款，村民敢怒不敢言。",
	}},
}

var spots = []string{"东门", "西门", "3栋", "5栋", "8栋2单元", "北侧小路", "菜市场旁", "幼儿园门口"}
var times = []string{"一个多月", "两周", "三天", "半年", "好几天", "快一年"}
var names = []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄"}

// Options shape the data.
type Options struct {
	Reports int
	Days    int
	// End is the last day's midnight, in the office's time zone.
	End time.Time
	// Now is the clock's now: no concern is received, handled or closed after
	// it, so that data ending today stops at this moment. Zero means the end of
	// the last day (data wholly in the past).
	Now         time.Time
	Communities []string // each with grids as "社区/网格"
	Grids       []string
	Seed        int64
	// Sector gives a topic's sector.
	Sector func(topic, subtopic string) string
	// Deadline gives a level's deadline from a time.
	Deadline func(concern.Level, time.Time) time.Time
}

// Reports makes the concerns, spread over the days, with statuses that depend on
// their age, some filed by grid workers, some rated, and clusters of near-duplicates.
func Reports(o Options) []*concern.Report {
	rng := rand.New(rand.NewSource(o.Seed))
	if len(o.Grids) == 0 {
		for _, c := range o.Communities {
			o.Grids = append(o.Grids, c+"/第一网格")
		}
	}
	now := o.Now
	if now.IsZero() {
		now = o.End.AddDate(0, 0, 1)
	}
	out := make([]*concern.Report, 0, o.Reports)
	var last *concern.Report
	for i := 0; i < o.Reports; i++ {
		day := o.End.AddDate(0, 0, -rng.Intn(o.Days))
		at := day.Add(time.Duration(7*3600+rng.Intn(15*3600)) * time.Second)
		if at.After(now) {
			at = before(rng, day, now) // today's come in up to now, never later
		}
		// about a fifth are near-duplicates of the one before: neighbours share a problem
		if last != nil && rng.Intn(5) == 0 && !last.Urgent {
			r := *last
			r.ReceivedAt = at
			r.Text = vary(rng, last.Text)
			r.History = []concern.StatusChange{{At: at, Status: concern.StatusReceived}}
			settle(rng, &r, now, o.Deadline)
			out = append(out, &r)
			continue
		}
		t := templates[rng.Intn(len(templates))]
		if (t.urgent != "" || t.sensitive != "") && rng.Intn(6) != 0 {
			t = templates[rng.Intn(len(templates)-3)] // urgent and sensitive ones are rare
		}
		grid := o.Grids[rng.Intn(len(o.Grids))]
		community, g, _ := strings.Cut(grid, "/")
		text := fill(rng, t.texts[rng.Intn(len(t.texts))], community)
		if rng.Intn(4) == 0 { // some write at length
			text += "我们已经向物业和社区反映过多次，" + pick(rng, times) + "过去了问题仍然没有解决，希望有关部门重视，尽快派人现场查看并给我们一个答复。"
		}
		r := &concern.Report{
			ReceivedAt: at, Channel: concern.ChannelTelegram, Community: community, Grid: g, Text: text,
			Topic: t.topic, Subtopic: t.subtopic, Sector: o.Sector(t.topic, t.subtopic),
			Classifier: "demo", Confidence: 0.4 + rng.Float64()*0.6, Reason: "演示数据",
			Urgent: t.urgent != "", UrgentReason: t.urgent, Sensitive: t.sensitive != "", SensitiveReason: t.sensitive,
			Level: t.level, Status: concern.StatusReceived, History: []concern.StatusChange{{At: at, Status: concern.StatusReceived}},
		}
		if rng.Intn(10) == 0 {
			r.Confidence = 0.1 // the classifier was unsure
		}
		if rng.Intn(5) == 0 {
			r.FiledBy, r.FiledByName, r.Consent, r.Capacity = int64(2000+rng.Intn(20)), pick(rng, names)+"网格员", true, concern.Paraphrase
			r.ResidentName = pick(rng, names) + "大爷"
		} else if rng.Intn(3) == 0 {
			r.ReporterID, r.ReporterName, r.Phone = int64(100000+rng.Intn(900000)), pick(rng, names)+"某", fmt.Sprintf("139%08d", rng.Intn(100000000))
			r.ReplyChat = r.ReporterID
		}
		settle(rng, r, now, o.Deadline)
		out = append(out, r)
		last = r
	}
	return out
}

// before is a time on day up to now (now itself when the day has not begun).
func before(rng *rand.Rand, day, now time.Time) time.Time {
	span := now.Sub(day)
	if span <= 0 {
		return now
	}
	return day.Add(time.Duration(rng.Int63n(int64(span))))
}

// settle gives a concern a deadline and a handling that fits its age.
func settle(rng *rand.Rand, r *concern.Report, now time.Time, deadline func(concern.Level, time.Time) time.Time) {
	r.Deadline = deadline(r.Level, r.ReceivedAt)
	age := now.Sub(r.ReceivedAt)
	step := func(s concern.Status, after time.Duration, note string) bool {
		if age < after || rng.Intn(10) < 2 {
			return false
		}
		r.Status = s
		r.History = append(r.History, concern.StatusChange{At: r.ReceivedAt.Add(after), Status: s, By: "工作人员 演示", Note: note})
		return true
	}
	if !step(concern.StatusAccepted, 3*time.Hour, "") {
		return
	}
	if rng.Intn(40) == 0 {
		step(concern.StatusRejected, 5*time.Hour, "不属于本街道管辖")
		return
	}
	r.Unit = []string{"街道城管办", "区住建局", "社区居委会", "区生态环境分局", "街道社会事务办"}[rng.Intn(5)]
	if !step(concern.StatusTransferred, 8*time.Hour, "转交 "+r.Unit) {
		return
	}
	if !step(concern.StatusInProgress, 30*time.Hour, "") {
		return
	}
	if step(concern.StatusClosed, 72*time.Hour, "已处理") && r.ReplyChat != 0 && rng.Intn(2) == 0 {
		r.Rating = []concern.Rating{concern.Satisfied, concern.Satisfied, concern.FairlySatisfied, concern.Unsatisfied}[rng.Intn(4)]
	}
}

func fill(rng *rand.Rand, t, place string) string {
	return strings.NewReplacer("{place}", place, "{spot}", pick(rng, spots), "{time}", pick(rng, times)).Replace(t)
}

// vary rewords a text a little, as a neighbour would tell the same problem.
func vary(rng *rand.Rand, text string) string {
	switch rng.Intn(3) {
	case 0:
		return "我也要反映：" + text
	case 1:
		return strings.Replace(text, "，", "。", 1) + "希望尽快解决！"
	}
	return text + "（邻居也反映过）"
}

func pick(rng *rand.Rand, xs []string) string { return xs[rng.Intn(len(xs))] }
