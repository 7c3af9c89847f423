# warroom — 简体中文 (zh-CN)。与 en-US 的消息 id 一一对应。

## 状态、角色与动作
state-triggered = 已触发
state-acknowledged = 已确认
state-mitigated = 已止损
state-resolved = 已恢复
state-closed = 已关闭
role-commander = 事件指挥官
role-communications = 沟通负责人
role-operations = 运维负责人
action-acknowledge = 确认事件
action-mitigate = 标记为已止损
action-resolve = 标记为已恢复
action-close = 关闭事件
action-reopen = 重新打开事件
action-severity = 修改级别
action-role = 分配角色
action-note = 添加备注
action-declare = 宣告事件

## 事件卡片
card-title = 🚨 { $incident } · { $title }
card-severity = 级别
card-state = 状态
card-service = 服务
card-alerts = 告警
card-alerts-counts = { $firing } 条告警中 · { $resolved } 条已恢复
card-alerts-all-resolved = ✅ 全部 { $resolved } 条告警已恢复{ $stage ->
        [closed] {""}
        [resolved] {" — 确认无误后请关闭事件"}
       *[other] {" — 确认无误后请解决事件"}
    }
card-unassigned = 未分配
card-summary = 摘要
card-description = 描述
card-generator = 来源
card-runbook = 处置手册
button-acknowledge = 确认
button-mitigate = 已止损
button-resolve = 已恢复
button-close = 关闭
button-reopen = 重新打开
room-topic = { $title } · { $severity }

## 召集人员
mention-header = 📣 { $incident }（{ $severity }）需要你：
mention-line = • { $role }：{ $user }
mention-unassigned = • { $role }：无人值班 — 请用 /incident role 分配

## 事件频道中的通知
notice-state-changed = { $user } 将事件状态设为{ $state }。
notice-severity-changed = { $user } 将级别改为 { $severity }。
notice-severity-raised-by-alert = 告警 { $alert } 将级别提升为 { $severity }。
notice-role-assigned = { $user } 现为{ $role }（由 { $by } 分配）。
notice-note = 📝 { $user }：{ $text }
notice-all-alerts-resolved = ✅ 本事件的所有告警均已恢复。是否将事件标记为已恢复由你决定。
notice-auto-resolved = 所有告警均已恢复，事件已自动标记为已恢复。

## 给操作人的回复
reply-state-changed = { $incident } 现为{ $state }。
reply-severity-changed = { $incident } 现为 { $severity }。
reply-severity-unchanged = 级别已经是 { $severity }。
reply-role-assigned = { $user } 现为{ $role }。
reply-role-unchanged = { $user } 已经是{ $role }。
reply-note-added = 已为 { $incident } 添加备注。
reply-note-too-long = 备注最多 { $max } 个字符。
reply-title-too-long = 标题最多 { $max } 个字符。
reply-declared = 已宣告 { $incident }，正在创建事件频道。
reply-status = { $incident } · { $title }
    状态：{ $state } · 级别：{ $severity } · 告警：{ $firing } 条告警中，{ $resolved } 条已恢复
    指挥官：{ $commander } · 沟通：{ $communications } · 运维：{ $operations }
reply-timeline-header = { $incident } 的时间线（共 { $total } 条，显示最近 { $shown } 条）：
reply-help-header = 命令：
reply-help-line = { $command } — { $description }
reply-not-allowed = 你无权{ $action }：只有事件指挥官或值班经理可以，只读用户只能查看。
reply-transition-refused = 无法{ $action }：事件当前为{ $state }。现在可以：{ $allowed }。
reply-unknown-user = { $user } 不是 warroom 用户。
reply-unknown-person = { $user } 不是已配置的 warroom 用户，请联系管理员添加。
reply-no-incident-here = 此频道不属于任何事件。请在事件频道中使用，或指定事件（/incident status id:INC-20261121-001），用 /incident list 查看进行中的事件，或用 /incident declare 宣告事件。
reply-incident-not-found = 事件 { $incident } 不存在。

## 命令解析错误
cmd-error-not-a-command = 命令以 / 开头，例如 /incident status。
cmd-error-unknown-command = 没有 /{ $command } 这个命令。试试 /help。
cmd-error-unknown-subcommand = /{ $command } 需要以下之一：{ $expected }。
cmd-error-missing-option = 缺少 { $option }。
cmd-error-unknown-option = 此命令没有选项 { $option }。
cmd-error-duplicate-option = { $option } 重复给出。
cmd-error-invalid-choice = { $option }：“{ $value }”不是 { $choices } 之一。
cmd-error-invalid-integer = { $option }：“{ $value }”不是 { $min } 到 { $max } 之间的整数。
cmd-error-too-many-values = 多余的值：{ $extra }。含空格的文本请加引号。
cmd-error-empty-value = { $option } 不能为空。

## 命令说明
cmd-incident-ack-description = 确认事件：由你处理
cmd-incident-mitigate-description = 标记事件已止损
cmd-incident-resolve-description = 标记事件已恢复
cmd-incident-close-description = 关闭已恢复的事件
cmd-incident-reopen-description = 重新打开已恢复或已关闭的事件
cmd-incident-status-description = 查看事件的状态、级别、告警和角色
cmd-incident-severity-description = 修改事件级别
cmd-incident-severity-opt-level = 新级别
cmd-incident-role-description = 为某人分配事件角色
cmd-incident-role-opt-role = 角色
cmd-incident-role-opt-user = 人员
cmd-incident-note-description = 在时间线上添加备注
cmd-incident-note-opt-text = 备注内容
cmd-incident-declare-description = 手动宣告事件
cmd-incident-declare-opt-title = 发生了什么
cmd-incident-declare-opt-severity = 严重程度（默认 sev3）
cmd-timeline-description = 查看最近的时间线
cmd-timeline-opt-limit = 条数（{ $min }–{ $max }）
cmd-help-description = 列出所有命令
cmd-run-description = 运行目录中的命令（诊断、扩缩容）；变更需两人批准
cmd-run-opt-command = 目录中的命令
cmd-run-opt-params = 参数，按顺序或写成 名称:值
cmd-diag-description = 诊断服务及其依赖
cmd-diag-opt-service = 服务
cmd-scale-description = 调整服务部署的副本数（需批准）
cmd-scale-opt-service = 服务
cmd-scale-opt-replicas = 副本数（{ $min }–{ $max }）
cmd-actions-description = 列出目录中的命令和本事件的请求

## 时间线
tl-incident-opened = #{ $seq } { $at } { $actor } 创建事件：{ $title }（{ $severity }）
tl-alert-received = #{ $seq } { $at } { $actor } 告警 { $alert }（{ $status }）
tl-alert-updated = #{ $seq } { $at } { $actor } 告警 { $alert } 已更新
tl-alert-resolved = #{ $seq } { $at } { $actor } 告警 { $alert } 已恢复
tl-all-alerts-resolved = #{ $seq } { $at } 所有告警已恢复
tl-state-changed = #{ $seq } { $at } { $actor } { $from } → { $state }
tl-severity-changed = #{ $seq } { $at } { $actor } 级别 { $from } → { $severity }
tl-role-assigned = #{ $seq } { $at } { $actor } { $user } 担任{ $role }
tl-room-created = #{ $seq } { $at } 已创建频道 { $room }
tl-card-posted = #{ $seq } { $at } 已发布事件卡片
tl-note-added = #{ $seq } { $at } { $actor } 备注：{ $text }
tl-reaction-added = #{ $seq } { $at } { $actor } 回应了 { $emoji }

## Discord
reply-internal-error = warroom 内部出错，错误已记入日志。请重试，或使用控制台。
reply-unmapped-discord-user = 你在此服务器没有 warroom 角色。请管理员为你分配 warroom 映射的角色（值班经理或响应人）。
reply-unknown-button = warroom 不认识这个按钮。

## 斜杠命令名称（Discord 显示；不含空格）
cmd-incident-name = 事件
cmd-incident-description = 处理本频道的事件
cmd-incident-ack-name = 确认
cmd-incident-mitigate-name = 止损
cmd-incident-resolve-name = 恢复
cmd-incident-close-name = 关闭
cmd-incident-reopen-name = 重开
cmd-incident-status-name = 状态
cmd-incident-severity-name = 级别
cmd-incident-role-name = 角色
cmd-incident-note-name = 备注
cmd-incident-declare-name = 宣告
cmd-timeline-name = 时间线
cmd-help-name = 帮助
cmd-run-name = 运行
cmd-diag-name = 诊断
cmd-scale-name = 扩缩容
cmd-actions-name = 操作
cmd-incident-severity-opt-level-name = 级别
cmd-incident-role-opt-role-name = 角色
cmd-incident-role-opt-user-name = 人员
cmd-incident-note-opt-text-name = 内容
cmd-incident-declare-opt-title-name = 标题
cmd-incident-declare-opt-severity-name = 级别
cmd-timeline-opt-limit-name = 条数
cmd-run-opt-command-name = 命令
cmd-run-opt-params-name = 参数
cmd-diag-opt-service-name = 服务
cmd-scale-opt-service-name = 服务
cmd-scale-opt-replicas-name = 副本数

## 告警频道
alert-below-threshold = ⚠️ { $severity } { $alert }（{ $service }）：{ $summary }（低于事件阈值，未创建事件）

# --- domain rules and commands ---
cmd-error-invalid-incident-id = { $option }：“{ $value }”不是事件编号；事件编号形如 INC-20261121-001（见 /incident list）。
cmd-incident-status-opt-id = 哪个事件（默认为本频道的事件）
cmd-incident-status-opt-id-name = 编号
cmd-incident-list-description = 列出进行中的事件，最新的在前
cmd-incident-list-name = 列表
cmd-incident-ack-example = ↳ 例：/incident ack
cmd-incident-mitigate-example = ↳ 例：/incident mitigate
cmd-incident-resolve-example = ↳ 例：/incident resolve
cmd-incident-close-example = ↳ 例：/incident close
cmd-incident-reopen-example = ↳ 例：/incident reopen
cmd-incident-status-example = ↳ 例：/incident status　或在任意频道：/incident status id:INC-20261121-001
cmd-incident-list-example = ↳ 例：/incident list
cmd-incident-severity-example = ↳ 例：/incident severity sev1
cmd-incident-role-example = ↳ 例：/incident role commander alice
cmd-incident-note-example = ↳ 例：/incident note 先别重启数据库，正在切换
cmd-incident-declare-example = ↳ 例：/incident declare 结账页面返回 500 severity:sev2
cmd-timeline-example = ↳ 例：/timeline limit:30
cmd-help-example = ↳ 例：/help
cmd-run-example = ↳ 例：/run scale checkout-api 3
cmd-diag-example = ↳ 例：/diag checkout-api
cmd-scale-example = ↳ 例：/scale checkout-api 3
cmd-actions-example = ↳ 例：/actions
reply-list-empty = 当前没有进行中的事件。
reply-list-header = 进行中的事件：{ $count } 个
reply-list-line = • { $incident } · { $severity } · { $state } · { $title }（告警中：{ $firing }）
reply-list-more = …… 另有 { $more } 个更早的事件（见 GET /v1/incidents）。
reply-timeline-zone = 时间为 { $zone } 时区。
reply-incident-closed = { $incident } 已关闭，无法{ $action }。请先用 /incident reopen 重新打开。
reply-resolved-while-firing = { $incident } 已解决。⚠️ 仍在告警：{ $firing } 条。请检查，若问题复发请重新打开。
notice-resolved-while-firing = ⚠️ 事件在仍有告警时被解决（仍在告警：{ $firing } 条）。
tl-stale-alert-ignored = #{ $seq } { $at } { $actor } 告警 { $alert }（开始于 { $started }）在其恢复之后才到达，已忽略
tl-alert-start-corrected = #{ $seq } { $at } 告警 { $alert } 的开始时间不合理（{ $original }），时长按到达时间计算
tl-alerts-truncated = #{ $seq } { $at } 发送方在一次通知中省略了 { $count } 条告警；请调大其 max_alerts

# --- deadlines ---
notice-ack-reminder = ⏰ { $incident } 已 { $minutes } 分钟仍未确认。{ $commander } { $operations }：请用 /incident ack 确认（第 { $number } 次提醒，共 { $max } 次）。
notice-ack-reminder-one = ⏰ { $incident } 已 { $minutes } 分钟仍未确认。{ $user }：请用 /incident ack 确认（第 { $number } 次提醒，共 { $max } 次）。
notice-ack-reminder-nobody = ⏰ { $incident } 已 { $minutes } 分钟仍未确认，且无人担任指挥官或运维负责人：请用 /incident role 指派（第 { $number } 次提醒，共 { $max } 次）。
tl-ack-reminder = #{ $seq } { $at } 已发送第 { $number } 次确认提醒（共 { $max } 次）
# --- jobs, probes and tracked messages ---
button-reprobe = 重新探测
probe-running = 🔎 正在探测 { $url } …
probe-answered = 🔎 健康探测 { $url }：{ $status } { $reason }，耗时 { $latency } 毫秒
probe-redirect = ↳ 重定向到 { $location }（未跟随）
probe-failed = 🔎 健康探测 { $url }：无应答（{ $failure }：{ $error }），耗时 { $latency } 毫秒
probe-timed-out = 🔎 健康探测 { $url }：{ $latency } 毫秒内无应答（超时）
probe-refused = 🔎 未探测：{ $url }（{ $reason }）
reply-probe-started = 正在重新探测 { $incident } 的健康地址；结果会显示在探测消息中。
reply-probe-running = { $incident } 的健康地址正在探测中，请等待结果。
reply-probe-none = { $incident } 没有可探测的健康地址。
reply-probe-refused = 未探测：{ $url }（{ $reason }）。
tl-probe-answered = #{ $seq } { $at } { $actor } 探测 { $url }：{ $status }，耗时 { $latency } 毫秒
tl-probe-failed = #{ $seq } { $at } { $actor } 探测 { $url }：无应答（{ $failure }：{ $error }）
tl-probe-refused = #{ $seq } { $at } { $actor } 未探测 { $url }（{ $reason }）
tl-job-interrupted = #{ $seq } { $at } warroom 停止时一个 { $job } 任务正在运行；结果未知，不再重新运行
tl-job-interrupted-rerun = #{ $seq } { $at } warroom 停止时一个 { $job } 任务正在运行；结果未知，正在重新运行
# --- jobs fixes ---
tl-probe-no-answer = #{ $seq } { $at } { $actor } 探测 { $url }：无应答（{ $failure }）
probe-refusal-not_a_url = 不是有效的 URL
probe-refusal-scheme_not_allowed = 只探测 http 和 https
probe-refusal-credentials_in_url = 含用户名或密码的 URL 从不探测
probe-refusal-host_not_allowed = 其主机不在 [probes] allow_hosts 中
probe-refusal-port_not_allowed = 其端口不被允许：只允许协议的默认端口，除非 [probes] allow_hosts 列出“主机:端口”
probe-failure-connect = 连接失败
probe-failure-broken_response = 响应中断
probe-failure-request = 请求失败
probe-failure-timed_out = 超时
job-kind-probe = 健康探测
tl-probe-requested = #{ $seq } { $at } { $actor } 请求重新探测 { $url }

# --- actions (skeleton) ---
action-executor-missing = 此处未配置 { $executor } 执行器；请查看配置中的 [kubernetes]、[prometheus] 和 [logs] 部分。

# --- approvals ---
action-run = 运行目录中的命令
role-duty_manager = 值班经理
role-responder = 响应人员
role-viewer = 只读用户
action-refused-incident-ended = { $incident } { $state }：只能在进行中的事件里执行操作。
action-refused-no-rollback = { $command }：{ $service } 没有可回退的上一次成功扩缩容。
action-refused-cooldown = { $service } 上的 { $command } 正在冷却：请在 { $minutes } 分钟后再试。
action-reply-awaiting = { $request }：{ $command } 需要 { $required } 个批准（在其消息上点 Approve 或 ✅）。
action-reply-queued = { $request }：{ $command } 正在执行，结果会显示在其消息中。
action-vote-counted = { $request }：你的批准已计入（{ $approvals }/{ $required }）。
action-vote-queued = { $request }：已批准，{ $command } 正在执行。
action-vote-rejected = { $request }：已拒绝，不会执行。
action-vote-command-gone = { $request }：{ $command } 已不在命令目录中，无法执行。
action-vote-unknown-request = { $incident } 没有请求 { $request }。
action-vote-ignored-expired = { $request } 已过期，永远不会执行；如仍需要请重新申请。
action-vote-ignored-not-pending = { $request } 已不再等待投票，你的投票未计入。
action-vote-ignored-self = { $request } 是你自己的请求：必须由其他人批准。
action-vote-ignored-not-approver = 只有{ $role }可以对 { $request } 投票，你的投票未计入。
action-vote-ignored-already-voted = 你已对 { $request } 投过票，每人只计一次。
action-vote-ignored-digest = { $request } 与申请时的内容不再一致，永远不会执行。
action-vote-ignored-wrong-incident = { $request } 属于另一个事件，投票未计入。
action-timed-out = { $command } 未在 { $seconds } 秒内完成，已被停止。
approval-stand-in = { $request } { $command } · { $state }
action-refused-digest = { $request } 与批准的内容不一致，因此未执行。
