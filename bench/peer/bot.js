// The report flow as a team would otherwise build it: Telegraf 4, a wizard scene
// of the same steps and validation as minyi's, and Telegraf's recommended Redis
// session store (@telegraf/session/redis). A benchmark peer for minyi (see
// ../README in docs/PERFORMANCE.md), not part of it.
//
//   TELEGRAM_TOKEN=… TELEGRAM_API_URL=http://127.0.0.1:PORT REDIS_URL=redis://… node bot.js
import { Telegraf, Scenes, session, Markup } from 'telegraf'
import { Redis } from '@telegraf/session/redis'
import { createClient } from 'redis'

const { TELEGRAM_TOKEN, TELEGRAM_API_URL, REDIS_URL } = process.env
if (!TELEGRAM_TOKEN || !REDIS_URL) {
  console.error('set TELEGRAM_TOKEN, TELEGRAM_API_URL and REDIS_URL')
  process.exit(2)
}

const communities = ['阳光社区', '和平社区']
const client = createClient({ url: REDIS_URL })
await client.connect()

const recorded = (label, value) => `已记录${label}：${value}\n\n`

const askPhotos = ctx => ctx.reply('第2步（共4步）：可以发送最多3张照片，或点【跳过】。', Markup.inlineKeyboard([Markup.button.callback('跳过', 'skip')]))

async function askWhere (ctx) {
  await ctx.reply('第3步（共4步）：问题发生在哪里？请选择社区：',
    Markup.inlineKeyboard([communities.map(c => Markup.button.callback(c, 'c:' + c))]))
  await ctx.reply('也可以点下方按钮发送定位，或直接输入详细地址；不方便提供请点【跳过】。',
    Markup.keyboard([[Markup.button.locationRequest('📍 发送我的位置')], ['跳过']]).resize().oneTime())
}

const askContact = (ctx, note) => ctx.reply(note + '第4步（共4步）：是否留下手机号，方便工作人员联系您核实和反馈？',
  Markup.keyboard([[Markup.button.contactRequest('📱 分享我的手机号')], ['🙈 匿名']]).resize().oneTime())

function summary (ctx, note) {
  const d = ctx.wizard.state
  return ctx.reply(`${note}请核对您要提交的诉求：\n【问题描述】${d.text}\n【照片】${d.photos.length ? d.photos.length + '张' : '未填写'}\n【位置】${d.place}\n【联系方式】${d.contact}`,
    Markup.inlineKeyboard([[Markup.button.callback('✅ 提交', 'submit'), Markup.button.callback('✏️ 修改', 'edit')], [Markup.button.callback('取消', 'cancel')]]))
}

const askDescription = ctx => ctx.reply('第1步（共4步）：请用文字描述您要反映的问题或建议。\n说清楚发生了什么、在哪里、持续多久、影响到谁，10—2000字。')

const report = new Scenes.WizardScene('report',
  // 0: entered by /report
  async ctx => {
    await askDescription(ctx)
    return ctx.wizard.next()
  },
  // 1: the description
  async ctx => {
    const text = ctx.message?.text
    if (!text) return ctx.reply('请用文字描述您要反映的问题。')
    const n = [...text].length
    if (n < 10) return ctx.reply('描述太短了，请至少写10个字，说清楚发生了什么、在哪里。')
    if (n > 2000) return ctx.reply(`描述太长了（${n}字），请控制在2000字以内。`)
    Object.assign(ctx.wizard.state, { text, photos: [] })
    await askPhotos(ctx)
    return ctx.wizard.next()
  },
  // 2: up to three photos, or skip
  async ctx => {
    if (ctx.message?.photo) {
      const photos = ctx.wizard.state.photos
      if (photos.length >= 3) return ctx.reply('最多3张照片，请点【完成】继续。', Markup.inlineKeyboard([Markup.button.callback('完成', 'done')]))
      photos.push(ctx.message.photo.at(-1).file_id)
      return ctx.reply(`已收到第${photos.length}张照片。可以继续发送，或点【完成】。`, Markup.inlineKeyboard([Markup.button.callback('完成', 'done')]))
    }
    const data = ctx.callbackQuery?.data
    if (data !== 'skip' && data !== 'done') return ctx.reply('请发送照片，或点【跳过】。')
    await ctx.answerCbQuery()
    await askWhere(ctx)
    return ctx.wizard.next()
  },
  // 3: a community, a location, an address, or skip
  async ctx => {
    const d = ctx.wizard.state
    const data = ctx.callbackQuery?.data
    if (data?.startsWith('c:') && communities.includes(data.slice(2))) {
      await ctx.answerCbQuery()
      d.place = data.slice(2)
    } else if (ctx.message?.location) {
      d.place = `${ctx.message.location.latitude.toFixed(5)}, ${ctx.message.location.longitude.toFixed(5)}`
    } else if (ctx.message?.text === '跳过') {
      d.place = '未填写'
    } else if (ctx.message?.text && [...ctx.message.text].length >= 4) {
      d.place = ctx.message.text.slice(0, 200)
    } else {
      return ctx.reply('请选择社区、发送定位、输入详细地址，或点【跳过】。')
    }
    await askContact(ctx, recorded('位置', d.place))
    return ctx.wizard.next()
  },
  // 4: the resident's own phone, or anonymous
  async ctx => {
    const d = ctx.wizard.state
    const contact = ctx.message?.contact
    if (contact) {
      if (contact.user_id !== ctx.from.id) return ctx.reply('只能分享您本人的手机号，或点【匿名】。')
      d.contact = contact.phone_number
    } else if (ctx.message?.text?.endsWith('匿名')) {
      d.contact = '匿名'
    } else {
      return ctx.reply('请点【分享我的手机号】，或点【匿名】。')
    }
    await summary(ctx, recorded('联系方式', d.contact))
    return ctx.wizard.next()
  },
  // 5: submit, edit or cancel
  async ctx => {
    const data = ctx.callbackQuery?.data
    if (!data) return ctx.reply('请点【提交】、【修改】或【取消】。')
    await ctx.answerCbQuery()
    if (data === 'cancel') {
      await ctx.reply('已取消，您填写的内容没有提交。')
      return ctx.scene.leave()
    }
    if (data === 'edit') {
      await askDescription(ctx)
      return ctx.wizard.selectStep(1)
    }
    // durable before the receipt: numbered by day, queued in a Redis stream
    const d = ctx.wizard.state
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '')
    const n = await client.incr(`peer:seq:${day}`)
    const id = `${day}-${String(n).padStart(4, '0')}`
    await client.xAdd('peer:intake', '*', { id, chat: String(ctx.chat.id), text: d.text, place: d.place, contact: d.contact, photos: d.photos.join(',') })
    await ctx.editMessageText(`✅ 您的诉求已收到，编号 ${id}。\n工作人员会尽快受理，办理进展会在这里通知您。`)
    return ctx.scene.leave()
  }
)

const bot = new Telegraf(TELEGRAM_TOKEN, { telegram: { apiRoot: TELEGRAM_API_URL || 'https://api.telegram.org' } })
bot.use(session({ store: Redis({ url: REDIS_URL }) }))
bot.use(new Scenes.Stage([report]).middleware())
bot.command('report', ctx => ctx.scene.enter('report'))
bot.catch((err, ctx) => console.error('update', ctx.update.update_id, err))
bot.launch()
process.once('SIGINT', () => bot.stop('SIGINT'))
process.once('SIGTERM', () => bot.stop('SIGTERM'))
