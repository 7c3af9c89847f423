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
button-diagnose = 诊断
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

# --- observe: http, prometheus, logs and link diagnosis ---
exec-no-service = { $command } 命令没有指定已配置的服务。
exec-unknown-action = { $executor } 执行器没有动作 { $name }；已知动作：{ $known }。
exec-param-missing = { $command } 命令需要参数 { $param }。
exec-param-invalid = { $executor } 执行器无法使用 { $param } = { $value }。
exec-unreachable = 无法连接 { $system }（{ $url }）：{ $error }
exec-timed-out = { $system } 在 { $ms } 毫秒内没有应答。
exec-response-too-large = { $system } 的应答超过 { $max } 字节；请缩小查询范围。
exec-bad-response = { $system } 的应答无法解析：{ $error }
http-no-health-url = { $service } 没有 health_url：请在其 [[services]] 条目中设置。
http-refused = 未请求：{ $url }（{ $reason }）。
http-healthy = ✅ { $service } 健康：{ $url } 在 { $latency } 毫秒内返回 { $status }。
http-unhealthy = ❌ { $service } 不健康：{ $url } 在 { $latency } 毫秒内返回 { $status }。
http-no-answer = ❌ { $service } 无应答：{ $url }（{ $failure }：{ $error }），耗时 { $latency } 毫秒。
http-body = 响应体：{ $excerpt }
prom-error = Prometheus 拒绝了查询（{ $type }）：{ $error }
prom-http-error = Prometheus 返回 HTTP { $status }：{ $body }
prom-no-data = 查询没有返回数据。
prom-vector = 查询结果：{ $series } 条序列。
prom-matrix = 查询结果：最近 { $range } 内 { $series } 条序列。
prom-scalar = 查询结果：{ $value }
prom-threshold-summary = { $series } 条序列中有 { $breached } 条超出阈值。
prom-series = { $labels } = { $value }
prom-series-range = { $labels }：最小 { $min }，最大 { $max }，最新 { $last }
prom-series-above = ⚠ { $labels } = { $value }，高于 { $threshold }
prom-series-below = ⚠ { $labels } = { $value }，低于 { $threshold }
prom-more-series = … 另有 { $count } 条序列（见完整输出）。
prom-checks = { $service }：{ $checks } 项检查中有 { $breached } 项超出阈值。
prom-checks-none = { $service } 没有检查项：请在其 [[services]] 条目中添加 checks。
logs-no-selector = { $service } 没有 log_selector：请在其 [[services]] 条目中设置。
logs-summary = 📜 { $service }：最近 { $window } 内 { $lines } 行日志中有 { $errors } 行错误。
logs-summary-capped = 📜 { $service }：最近 { $window } 内共 { $matched } 行日志，在读取的最新 { $lines } 行中有 { $errors } 行错误。
logs-summary-limit = 📜 { $service }：最近 { $window } 内读取的最新 { $lines } 行日志中有 { $errors } 行错误（已达读取上限，可能还有更多）。
logs-none = 📜 { $service }：最近 { $window } 内没有匹配的日志。
logs-error = { $system } 拒绝了日志查询（HTTP { $status }）：{ $error }
logs-partial = 部分分片失败或搜索超时：计数可能偏低。
logs-pattern-pool_exhausted = ⚠ 连接池耗尽：{ $count } 行
logs-pattern-out_of_memory = ⚠ 内存不足：{ $count } 行
logs-pattern-null_pointer = ⚠ 空指针：{ $count } 行
logs-pattern-timeout = ⚠ 超时：{ $count } 行
logs-pattern-connection_refused = ⚠ 连接被拒绝：{ $count } 行
logs-pattern-disk_full = ⚠ 磁盘已满：{ $count } 行
logs-pattern-deadlock = ⚠ 死锁：{ $count } 行
logs-top-message = { $count }× { $message }
logs-stack-trace = 第一个堆栈：{ $line }
diag-evidence-health = ↳ 健康检查：{ $url } 在 { $latency } 毫秒内返回 { $status }
diag-evidence-health-none = ↳ 健康检查：{ $url } 无应答（{ $error }）
diag-evidence-check-above = ↳ { $check } = { $value }，高于上限 { $threshold }
diag-evidence-check-below = ↳ { $check } = { $value }，低于下限 { $threshold }
diag-evidence-check-ok = ↳ { $check } = { $value }，在范围内
diag-evidence-check-failed = ↳ { $check } 无法计算：{ $error }
diag-evidence-check-no-data = ↳ { $check }：无数据
diag-evidence-logs = ↳ 日志：读取 { $lines } 行，其中 { $errors } 行错误
diag-evidence-logs-failed = ↳ 无法读取日志：{ $error }
diag-summary-cause = 🩺 可能的根因：{ $service }，其依赖均健康而它本身异常（{ $checked } 个服务中 { $failing } 个异常）。
diag-summary-no-single-cause = 🩺 { $checked } 个服务中 { $failing } 个异常，且每个都依赖另一个异常服务；请先查看 { $service }。
diag-summary-healthy = 🩺 未发现问题：{ $service } 及其依赖看起来都健康（检查了 { $checked } 个服务）。
diag-summary-nothing-observed = 🩺 无法观测 { $service } 及其依赖：请在 [[services]] 中配置 health_url、checks 或 log_selector，并配置 [prometheus] 或 [logs]。
diag-candidate-cause = { $rank }. { $service } — 可能的根因
diag-candidate-downstream = { $rank }. { $service } — 因依赖 { $dependencies } 异常而异常
diag-candidates-more = … 另有 { $count } 个异常服务（见完整输出）。
diag-unobserved = 未观测（未配置或查询失败）：{ $services }
# --- kube: kubernetes and shell executors ---
kube-no-service = 未执行：{ $command } 没有指定要操作的服务。
kube-no-deployment = 未执行：服务 { $service } 没有配置 deployment；请在它的 [[services]] 条目中设置 namespace 和 deployment。
kube-unknown-action = 未执行：kubernetes 执行器没有动作 { $name }（命令 { $command }）；它支持 scale、scale-rollback 和 restart。
kube-scale-unchanged = { $namespace }/{ $deployment } 已经是 { $replicas } 个副本；没有改动。
kube-scaled = 已将 { $namespace }/{ $deployment } 从 { $current } 个副本扩缩到 { $replicas } 个。
kube-scaled-dry-run = 演练（dry run）：API 服务器接受了将 { $namespace }/{ $deployment } 从 { $current } 个副本扩缩到 { $replicas } 个；实际没有改动。
kube-restarted = 已请求滚动重启 { $namespace }/{ $deployment }；其 Pod 将逐步替换。
kube-restarted-dry-run = 演练（dry run）：API 服务器接受了对 { $namespace }/{ $deployment } 的滚动重启；实际没有改动。
kube-timed-out = 在任务超时内 Kubernetes API 没有应答（正在对 { $namespace }/{ $deployment } 执行 { $verb } { $resource }）；重试前请先查看该 deployment（改动可能已经生效）。
kube-not-found = 命名空间 { $namespace } 中没有 deployment { $deployment }（404 Not Found）；请检查该服务 [[services]] 条目中的 namespace 和 deployment。
kube-forbidden = Kubernetes API 拒绝在命名空间 { $namespace } 中对 { $resource } 执行 { $verb }（403 Forbidden）：warroom 的服务账号缺少该权限；请将 deploy/kubernetes/rbac.yaml 中的 Role 应用到命名空间 { $namespace }。
kube-unauthorized = Kubernetes API 服务器 { $server } 不接受 warroom 的凭据（401 Unauthorized）；请检查服务账号令牌或 kubeconfig。
kube-conflict = warroom 更新 { $namespace }/{ $deployment } 时它被改动了（409 Conflict：{ $message }）；请查看后重试。
kube-api-error = Kubernetes API 对 { $namespace }/{ $deployment } 的 { $verb } { $resource } 应答 { $code }：{ $message }
kube-unreachable = 无法连接 Kubernetes API 服务器 { $server }：连接被拒绝。
kube-transport-error = 无法与 Kubernetes API 服务器 { $server } 通信：{ $error }
kube-no-rollback = 未执行：{ $service } 之前没有扩缩记录，无法回退。
kube-rollback-mismatch = 未执行：批准的副本数 { $value } 与 { $service } 要回退到的数量（{ $replicas }）不一致。
kube-replicas-missing = 未执行：{ $command } 需要 replicas 参数。
kube-replicas-not-a-number = 未执行：replicas { $value } 不是整数。
kube-no-max-replicas = 未执行：服务 { $service } 没有 max_replicas；请在它的 [[services]] 条目中设置后才能扩缩。
kube-replicas-below-min = 未执行：replicas: { $value } 低于 { $service } 的 min_replicas { $min }。
kube-replicas-above-max = 未执行：replicas: { $value } 高于 { $service } 的 max_replicas { $max }。
shell-no-program = 未执行：{ $command } 没有 argv，或其程序不是绝对路径。
shell-param-missing = 未执行：{ $command } 的 argv 使用了参数 { $param }，但请求中没有该参数。
shell-placeholder-partial = 未执行：{ $command } 的参数 { $argument } 中嵌入了占位符；占位符必须是一个完整的参数。
shell-value-refused = 未执行：参数 { $param } 含有 { $character }；shell 命令从不接受 ; | & $ ` < > 或换行等控制字符。
shell-value-flag = 未执行：参数 { $param } 以 "-" 开头，程序会把它当作选项。
shell-spawn-failed = 无法启动 { $program }：{ $error }
shell-succeeded = { $program } 已完成（退出码 0），耗时 { $ms } 毫秒。
shell-exit-failed = { $program } 失败，退出码 { $code }，耗时 { $ms } 毫秒。
shell-killed = { $program } 在 { $ms } 毫秒后被信号 { $signal } 终止。
shell-timed-out = { $program } 超过了 { $ms } 毫秒的超时；它及其启动的所有进程均已被终止。
shell-output-truncated = 输出在每个流 { $bytes } 字节处被截断。
# --- catalog ---
cmd-error-not-an-integer = { $option }：“{ $value }”不是整数。
cmd-error-integer-below = { $option }：{ $value } 低于允许的最小值 { $min }。
cmd-error-integer-above = { $option }：{ $value } 高于允许的最大值 { $max }。
action-error-unknown-command = 目录中没有命令“{ $command }”。已有：{ $known }（见 /actions）。
action-error-missing-option = { $command }：{ cmd-error-missing-option }
action-error-unknown-option = { $command }：{ cmd-error-unknown-option }
action-error-duplicate-option = { $command }：{ cmd-error-duplicate-option }
action-error-invalid-choice = { $command }：{ cmd-error-invalid-choice }
action-error-invalid-integer = { $command }：{ cmd-error-invalid-integer }
action-error-not-an-integer = { $command }：{ cmd-error-not-an-integer }
action-error-integer-below = { $command }：{ cmd-error-integer-below }
action-error-integer-above = { $command }：{ cmd-error-integer-above }
action-error-too-many-values = { $command }：{ cmd-error-too-many-values }
action-error-empty-value = { $command }：{ cmd-error-empty-value }
action-error-unknown-service = { $command }：{ $option }：没有服务“{ $value }”。已配置的服务包括 { $known }。
action-error-no-services = { $command }：{ $option }：没有服务“{ $value }”；配置中尚未配置任何服务（[[services]]）。
action-error-pattern-mismatch = { $command }：{ $option }：“{ $value }”不符合模式 { $pattern }。
action-error-invalid-duration = { $command }：{ $option }：“{ $value }”不是时长，时长形如 30s、5m 或 1h30m。
action-error-duration-out-of-range = { $command }：{ $option }：“{ $value }”须大于 0s 且不超过 { $max }。
action-error-value-too-long = { $command }：{ $option } 超过 { $max } 个字符。
action-error-control-character = { $command }：{ $option } 须为单行文本，不能含控制字符。
action-error-above-service-max = { $command }：{ $option }：{ $value } 超过 { $service } 的 max_replicas { $max }。
action-error-below-service-min = { $command }：{ $option }：{ $value } 低于 { $service } 的 min_replicas { $min }。
action-error-service-missing-config = { $command }：服务 { $service } 的 [[services]] 配置缺少 { $key }，无法从聊天中变更；请在配置中补上。
catalog-diag-description = 诊断服务及其全部依赖：健康检查、指标检查与错误日志，并给出按可能性排序的根因候选
catalog-health-description = 请求服务的健康检查 URL：状态码、延迟和响应体开头
catalog-promql-description = 执行 PromQL 查询（即时查询或区间查询）
catalog-logs-description = 统计并归类服务最近的错误日志
catalog-scale-description = 将服务的 Deployment 扩缩到指定副本数
catalog-scale-rollback-description = 将服务的副本数回滚到上一次扩缩之前
catalog-restart-description = 重启服务的 Deployment（rollout restart）
catalog-dns-description = 在 warroom 所在主机上解析服务的主机名（getent hosts）
# --- actions: rendering, /actions and timeline lines (adapters) ---
act-msg-title = 🛠️ { $request } · { $line } · { $request_state }
act-msg-requested = 申请人 { $requester } · 风险：{ $risk }
act-msg-read-only = 只读操作：无需审批即执行。
act-msg-approvals = 审批：{ $approved }/{ $required }
act-msg-approved-by = 已批准：
act-msg-separator = 、
act-msg-rejected = { $user } 已驳回
act-msg-how-to-vote = 请点击“批准”或“驳回”，或对本消息回应 ✅ 或 ❌。
act-msg-expires = 若未获批准，将于 { $at } 过期
act-msg-more-details = … 另有 { $count } 条，完整输出见 GET /v1/incidents/{ $incident }/actions/{ $request }
act-msg-output-cut = 输出已截断；完整输出见 GET /v1/incidents/{ $incident }/actions/{ $request }
button-approve = 批准
button-reject = 驳回
act-state-awaiting_approval = 待审批
act-state-queued = 排队中
act-state-running = 执行中
act-state-succeeded = 成功
act-state-failed = 失败
act-state-rejected = 已驳回
act-state-expired = 已过期
act-state-cancelled = 已取消
act-state-interrupted = 已中断
act-risk-low = 低
act-risk-medium = 中
act-risk-high = 高
act-role-commander = 事件指挥官
act-role-communications = 沟通负责人
act-role-operations = 运维负责人
act-role-duty_manager = 值班经理
act-role-responder = 响应人
act-role-viewer = 只读用户
act-status-succeeded = 成功
act-status-failed = 失败
act-status-timed_out = 超时
act-status-refused = 被拒绝执行
act-vote-reason-self_approval = 申请人不能批准自己的申请
act-vote-reason-already_voted = 此人已投过票
act-vote-reason-not_approver = 此人没有审批角色
act-vote-reason-expired = 申请已过期
act-vote-reason-digest_mismatch = 申请内容与批准时不一致
act-vote-reason-not_pending = 申请已不在待审批状态
act-vote-reason-viewer = 只读用户不能投票
act-cancel-reason-rejected = 审批人已驳回
act-cancel-reason-incident_closed = 事件已关闭
act-cancel-reason-withdrawn = 申请人已撤回
act-cancel-reason-plan_missing = 找不到申请时规划的任务
act-cancel-reason-plan_mismatch = 申请时规划的任务与批准的内容不一致
tl-action-requested = #{ $seq } { $at } { $actor } 申请 { $request }：{ $line }（{ $required ->
        [0] 只读，立即执行
       *[other] 需要 { $required } 人批准
    }）
tl-action-approved = #{ $seq } { $at } { $actor } 批准了 { $request }（{ $approvals }/{ $required }）
tl-action-rejected = #{ $seq } { $at } { $actor } 驳回了 { $request }
tl-action-vote-ignored = #{ $seq } { $at } { $actor } 对 { $request } 的{ $vote ->
        [approve] 批准
       *[reject] 驳回
    }未计入：{ $vote_reason }
tl-action-expired = #{ $seq } { $at } { $request } 在获得足够批准前已过期，不会执行
tl-action-cancelled = #{ $seq } { $at } { $request } 已取消：{ $cancel_reason }
tl-action-started = #{ $seq } { $at } { $request } 开始执行（任务 { $job }）
tl-action-finished = #{ $seq } { $at } { $request } 执行结束：{ $outcome }
tl-action-interrupted = #{ $seq } { $at } warroom 停止时 { $request } 正在执行；结果未知，且不可重复执行，不再运行
tl-action-interrupted-rerun = #{ $seq } { $at } warroom 停止时 { $request } 正在执行；可重复执行，正在重新运行
reply-actions-catalog-header = 可用命令（{ $count } 个）：
reply-actions-catalog-empty = 尚未登记任何命令；请查看配置中的 [actions] commands_dir。
reply-actions-command = • { $syntax } — { $description } · { $approvals ->
        [0] 只读
       *[other] 需要 { $approvals } 名{ $approver }批准
    }
reply-actions-more = … 另有 { $count } 个
reply-actions-requests-header = { $incident } 的申请（{ $count } 个）：
reply-actions-requests-empty = { $incident } 还没有申请。
reply-actions-request = • { $request } · { $request_state } · { $line } · 申请人 { $requester } · 批准 { $approved }/{ $required }
reply-actions-requests-earlier = … 更早的 { $count } 个；GET /v1/incidents/{ $incident }/actions 可列出全部
autocomplete-command = { $command } — { $description }
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
action-timed-out = { $command } 未在 { $seconds } 秒内完成，warroom 已不再等待它。它已发出的操作可能已生效，也可能未生效：再次执行前请先检查。
action-refused-digest = { $request } 与批准的内容不一致，因此未执行。

# --- shell argument values ---
shell-value-outside-alphabet = 未执行：参数 { $param } 含有 { $character }；除非目录文件为该参数声明了 pattern，shell 命令的参数值只能包含字母、数字和 . _ : / = @ + , -（不能有空格、引号、反斜杠或通配符）。

# --- kubernetes scale confirmation ---
kube-scaled-confirmed = 已将 { $namespace }/{ $deployment } 从 { $current } 个副本扩缩到 { $replicas } 个（API 未应答该改动；重新读取 deployment 确认已生效）。
kube-scale-unconfirmed = 将 { $namespace }/{ $deployment } 扩缩到 { $replicas } 个副本时 Kubernetes API 未应答，重新读取显示为 { $seen }：改动可能已生效，也可能未生效（也可能稍后生效）。重试前请先查看该 deployment。
# --- fixrules: approval integrity ---
action-vote-plan-refused = { $request }：找不到批准的内容，或它与申请不一致，因此不会执行；请重新申请。
action-refused-stale = { $request }（{ $command }）于 { $approved } 获批，距今太久（审批有效期 { $minutes } 分钟），未执行。请重新申请。
action-error-format-character = { $command }：{ $option } 含有不可见的格式字符（如从右到左覆盖符或零宽空格），会掩盖实际执行的内容；请直接输入该值。
action-error-line-too-long = { $command }：命令行将有 { $length } 个字符，超过审批消息能完整显示的 { $max } 个；审批人必须看到全部内容，请缩短参数。

## 时间：升级、任务、状态更新（时间线）。
tl-escalation-step = #{ $seq } { $at } 升级第 { $step } 步，通知了 { $count } 人（{ $how }）
tl-task-added = #{ $seq } { $at } { $actor } 添加了任务 { $task }：{ $title }
tl-task-assigned = #{ $seq } { $at } { $actor } 将任务 { $task } 指派给 { $user }
tl-task-done = #{ $seq } { $at } { $actor } 完成了任务 { $task }
tl-task-snoozed = #{ $seq } { $at } { $actor } 将任务 { $task } 推迟到 { $until }
tl-task-reminded = #{ $seq } { $at } 已提醒 { $user } 处理逾期任务 { $tasks }
tl-task-escalated = #{ $seq } { $at } 逾期任务 { $tasks } 已升级给{ $role }
tl-status-update = #{ $seq } { $at } { $actor } 状态更新：{ $text }
tl-status-update-reminded = #{ $seq } { $at } 已发送第 { $number } 次状态更新提醒

## 时间：命令（任务、状态更新、值班）。
cmd-task-name = task
cmd-task-description = 跟踪事件的任务和后续事项
cmd-oncall-name = oncall
cmd-oncall-description = 当前值班人和临时替班
cmd-incident-update-name = update
cmd-incident-update-description = 发布状态更新（同时公告）
cmd-incident-update-opt-text = 有何变化，告知所有关注者
cmd-incident-update-opt-text-name = text
cmd-incident-update-example = ↳ 例如 /incident update 切换完成，错误率恢复正常，继续观察
cmd-task-add-name = add
cmd-task-add-description = 添加任务，可指定负责人和截止时间
cmd-task-add-opt-title = 要做什么
cmd-task-add-opt-title-name = title
cmd-task-add-opt-assignee = 由谁来做
cmd-task-add-opt-assignee-name = assignee
cmd-task-add-opt-due = 截止时间：时长（30m、4h）或时间（18:00、2026-12-02 09:00）
cmd-task-add-opt-due-name = due
cmd-task-add-example = ↳ 例如 /task add "回滚配置" @ops 30m
cmd-task-done-name = done
cmd-task-done-description = 将任务标记为完成
cmd-task-done-opt-id = 任务编号，例如 T3
cmd-task-done-opt-id-name = id
cmd-task-done-example = ↳ 例如 /task done T3
cmd-task-list-name = list
cmd-task-list-description = 列出本事件的任务
cmd-task-list-example = ↳ 例如 /task list
cmd-task-assign-name = assign
cmd-task-assign-description = 将任务指派给某人
cmd-task-assign-opt-id = 任务编号，例如 T3
cmd-task-assign-opt-id-name = id
cmd-task-assign-opt-user = 由谁来做
cmd-task-assign-opt-user-name = user
cmd-task-assign-example = ↳ 例如 /task assign T3 @alice
cmd-task-snooze-name = snooze
cmd-task-snooze-description = 推迟任务的截止时间
cmd-task-snooze-opt-id = 任务编号，例如 T3
cmd-task-snooze-opt-id-name = id
cmd-task-snooze-opt-for = 推迟多久，例如 1h
cmd-task-snooze-opt-for-name = for
cmd-task-snooze-example = ↳ 例如 /task snooze T3 1h
cmd-oncall-show-name = show
cmd-oncall-show-description = 各值班角色的当前和下一任值班人
cmd-oncall-show-example = ↳ 例如 /oncall show
cmd-oncall-override-name = override
cmd-oncall-override-description = 指定某人临时担任值班角色直到某时（值班经理）
cmd-oncall-override-opt-role = 值班角色
cmd-oncall-override-opt-role-name = role
cmd-oncall-override-opt-user = 由谁接替
cmd-oncall-override-opt-user-name = user
cmd-oncall-override-opt-until = 直到何时：时长（4h）或时间（2026-12-02 09:00）
cmd-oncall-override-opt-until-name = until
cmd-oncall-override-example = ↳ 例如 /oncall override commander @dave 4h

# --- chat: direct messages, announcements, status updates ---
action-update = 发布状态更新
reply-update-posted = 已在 { $incident } 发布状态更新并已公告。
reply-update-empty = 请写明进展：/incident update <内容>。
reply-update-too-long = 状态更新最多 { $max } 个字符，请精简。
notice-status-update = 📣 { $user } 的状态更新：{ $text }
announce-status-update = 📣 { $incident }（{ $severity }）{ $title } — { $user }：{ $text }
notice-status-update-due = ⏰ { $first } { $second }：{ $incident } 已 { $minutes } 分钟没有状态更新，请用 /incident update <内容> 发布（第 { $number } 次提醒，共 { $max } 次）。
notice-status-update-due-one = ⏰ { $user }：{ $incident } 已 { $minutes } 分钟没有状态更新，请用 /incident update <内容> 发布（第 { $number } 次提醒，共 { $max } 次）。
notice-status-update-due-nobody = ⏰ { $incident } 已 { $minutes } 分钟没有状态更新，且无人担任指挥官或通讯负责人。请用 /incident update <内容> 发布（第 { $number } 次提醒，共 { $max } 次）。
direct-status-update-overdue = ⏰ { $incident }（{ $severity }）{ $title } 已 { $minutes } 分钟没有状态更新，已提醒指挥官和通讯负责人 { $number } 次。请值班经理跟进督办。
# --- tasks ---
action-task = 管理任务
task-error-empty-title = 任务需要标题：/task add "要做什么" [@负责人] [30m]。
task-error-title-too-long = 任务标题最多 { $max } 个字符，这个有 { $chars } 个。请精简标题，把细节写进备注。
task-error-not-a-task-id = "{ $text }" 不是 T1 这样的任务编号；/task list 可列出本事件的任务。
task-error-unknown-task = 本事件没有任务 { $task }；/task list 可列出其任务。
task-error-already-done = 任务 { $task } 已经完成。
task-error-too-many = 本事件已有 { $max } 个任务，已达单个事件的上限。
task-error-bad-due = "{ $text }" 不是截止时间：请用 30m、4h 这样的时长，18:00 或 2026-11-21 18:00 这样的时间，或 RFC 3339 时间。
task-error-due-in-past = "{ $text }" 不晚于现在：截止时间必须在将来。
task-error-due-too-far = "{ $text }" 超过了 { $days } 天之后。
task-error-bad-snooze = "{ $text }" 不是 30m、4h 这样的时长。
reply-task-added = 已为 { $incident } 添加任务 { $task }。
reply-task-added-due = 已为 { $incident } 添加任务 { $task }，截止于 { $due }。
reply-task-added-followup = 已为 { $incident } 添加后续任务 { $task }，截止于 { $due }。
reply-task-done = 任务 { $task } 已完成。
reply-task-assigned = 任务 { $task } 现由 { $assignee } 负责。
reply-task-snoozed = 任务 { $task } 已推迟到 { $due }。
reply-task-list-empty = { $incident } 还没有任务；可用 /task add "要做什么" @负责人 30m 添加。
reply-task-list-header = { $incident } 的任务：{ $open } 个未完成，{ $done } 个已完成{ $pages ->
        [1] {""}
       *[other] （第 { $page }/{ $pages } 页）
    }。
reply-task-line = • { $task } { $title } · { $assignee } · { $status ->
        [overdue] ⚠ 已逾期，截止于
       *[other] 截止于
    } { $when }
reply-task-line-no-due = • { $task } { $title } · { $assignee } · 无截止时间
reply-task-line-unassigned = • { $task } { $title } · 尚无负责人 · { $status ->
        [overdue] ⚠ 已逾期，截止于
       *[other] 截止于
    } { $when }
reply-task-line-unassigned-no-due = • { $task } { $title } · 尚无负责人 · 无截止时间
reply-task-line-done = • { $task } { $title } · ✅ 完成于 { $when }
reply-task-list-more = …… 另有 { $count } 个：/task list page:{ $next }
notice-task-added = 📋 { $task } { $title }（由 { $user } 添加）
notice-task-added-for = 📋 { $task } { $title }：{ $assignee }，此任务由你负责（由 { $user } 添加）
notice-task-assigned = 📋 { $task } { $title }：{ $assignee }，此任务现由你负责（由 { $user } 指派）
notice-task-done = ✅ { $task } { $title } 已完成（{ $user }）
notice-task-reminder = ⏰ { $user }：{ $incident } 中有 { $count } 个任务已逾期（{ $tasks }）。完成后请用 /task done 标记，或用 /task snooze 申请延期。
notice-task-escalated = ⏰ { $assignee } 有 { $count } 个逾期任务（{ $tasks }）—— 请{ $role } { $callee } 跟进督办。
notice-task-escalated-nobody = ⏰ { $assignee } 有 { $count } 个逾期任务（{ $tasks }），但目前没有{ $role }可以跟进。
notice-task-escalated-unassigned = ⏰ 有 { $count } 个逾期任务无人负责（{ $tasks }）—— 请{ $role } { $callee } 跟进督办（/task assign）。
notice-task-escalated-unassigned-nobody = ⏰ 有 { $count } 个逾期任务无人负责（{ $tasks }），但目前没有{ $role }可以跟进。
cmd-task-list-opt-page = 第几页（{ $min }–{ $max }）
cmd-task-list-opt-page-name = page
# --- on-call rotations ---
action-oncall-override = 调整值班
reply-oncall-override-duty-managers = 只有值班经理（[[users]] 角色或 [discord.roles]）可以调整值班。
reply-oncall-header = 当前值班（时间为 { $zone }）：
reply-oncall-role = { $role }：{ $holder }（{ $source ->
    [override] 临时替班
    [fixed] 固定
   *[rotation] 轮值
}）
reply-oncall-role-next = { $role }：{ $holder }（{ $source ->
    [override] 临时替班
    [fixed] 固定
   *[rotation] 轮值
}），{ $at } 起由 { $next } 接班
reply-oncall-role-until = { $role }：{ $holder }（{ $source ->
    [override] 临时替班
    [fixed] 固定
   *[rotation] 轮值
}）至 { $at }，之后无人值班
reply-oncall-nobody = { $role }：无人值班
reply-oncall-every-duty-manager = { $role }：未指定，将通知所有值班经理
reply-oncall-services = 仅限 { $services }：
reply-oncall-unknown-user = warroom 不认识“{ $user }”；请指定已配置的用户（Discord 上请选择成员）。
reply-oncall-until-not-a-time = “{ $until }”既不是时长（如 4h）也不是时间（如 2026-12-02 09:00）。
reply-oncall-until-past = “{ $until }”不在将来；请给出时长（如 4h）或更晚的时间。
reply-oncall-until-too-far = “{ $until }”超过 { $days } 天之后；临时替班只覆盖一个班次，更长请修改轮值。
reply-oncall-too-many-overrides = 当前已有 { $max } 条临时替班生效；请等部分结束后再试。
reply-oncall-override-set = { $user } 作为{ $role }值班，直到 { $until }。
announce-oncall-override = { $by } 安排 { $user } 作为{ $role }值班，直到 { $until }。
announce-oncall-handoff = 值班交接：{ $user } 现在是{ $role }。
announce-oncall-handoff-services = 值班交接（{ $services }）：{ $user } 现在是{ $role }。
announce-oncall-handoff-nobody = 值班交接：{ $role }现已无人值班。
# --- escalation ---
notice-escalation = ⏫ { $incident } 已 { $minutes } 分钟仍未确认：升级第 { $step } 步通知 { $people }。请用 /incident ack 确认（第 { $number } 次通知，共 { $max } 次）。
notice-escalation-here = ⏫ { $here } { $incident } 已 { $minutes } 分钟仍未确认：升级第 { $step } 步通知 { $people }。请用 /incident ack 确认（第 { $number } 次通知，共 { $max } 次）。
notice-escalation-nobody = ⏫ { $incident } 已 { $minutes } 分钟仍未确认，且升级第 { $step } 步要通知的角色无人担任：请用 /incident role 指派（第 { $number } 次通知，共 { $max } 次）。
dm-escalation-step = ⏫ { $incident }（{ $severity }，{ $title }）已 { $minutes } 分钟仍未确认；升级第 { $step } 步通知你。请打开该事件的房间并用 /incident ack 确认。
escalation-how-room = 房间内
escalation-how-here = @here
escalation-how-direct = 私信
escalation-how-page = 呼叫

# --- escalation delivery ---
notice-escalation-here-nobody = ⏫ { $here } { $incident } 已 { $minutes } 分钟仍未确认，且升级第 { $step } 步要通知的角色无人担任：在场的人请用 /incident ack 确认，并用 /incident role 指派（第 { $number } 次通知，共 { $max } 次）。

# --- web console: sign in ---
web-login-token = 你的 warroom 令牌
web-login-submit = 登录
web-login-wrong-token = 此令牌无效，请检查后重试。
web-incidents-title = 事件

# --- web console: core (sign in, header, language) ---
web-login-title = 登录
web-login-unknown-demo-user = 这不是演示用户之一。
web-login-demo = 演示模式：点击即可以演示用户身份登录。
web-nav-incidents = 事件
web-signed-in-as = 当前用户：{ $user }
web-locale-label = 语言
web-locale-en-US = English
web-locale-zh-CN = 中文
web-locale-submit = 切换
web-logout = 退出登录
# --- web console: incident list and war room (pages) ---
web-filter-state = 状态
web-filter-severity = 严重级别
web-filter-any = 全部
web-filter-apply = 筛选
web-column-incident = 事件
web-column-state = 状态
web-column-severity = 严重级别
web-column-service = 服务
web-column-age = 持续
web-column-roles = 角色
web-column-alerts = 告警
web-incidents-none = 没有符合条件的事件。
web-next-page = 下一页
web-alert-counts = { $firing } 条告警中，{ $resolved } 条已恢复
web-age-seconds = { $n }秒
web-age-minutes = { $n }分钟
web-age-hours = { $n }小时
web-age-days = { $n }天
web-message-edited = （已编辑）
web-message-card-above = 事件卡片显示在房间旁边。
web-more-messages = 更早的消息
web-room-on-discord = 此事件的房间在 Discord 上，消息请在那里查看。这里有事件卡片、各项时长和时间线链接。
web-command-placeholder = /incident ack、/incident note …、/run …
web-command-send = 发送
# --- web console: timeline, durations and the alerts chart ---
web-timeline-title = { $incident } 的时间线
web-timeline-back = 返回作战室
web-timeline-open = 完整时间线
web-timeline-kind = 显示
web-timeline-kind-all = 全部
web-timeline-kind-alerts = 告警
web-timeline-kind-state = 状态与级别
web-timeline-kind-people = 角色、升级与提醒
web-timeline-kind-notes = 备注、状态更新与回应
web-timeline-kind-actions = 操作与探测
web-timeline-kind-tasks = 任务
web-timeline-kind-room = 房间与卡片
web-timeline-filter = 筛选
web-timeline-zone = 时间均为 { $zone } 时区。
web-timeline-empty = 时间线的这一页没有内容。
web-timeline-next = 下一页
web-durations-title = 用时
web-duration-detect = 发现用时
web-duration-acknowledge = 确认用时
web-duration-mitigate = 缓解用时
web-duration-resolve = 解决用时
web-duration-pending = 尚未
web-duration-seconds = { $seconds }秒
web-duration-minutes = { $minutes }分{ $seconds }秒
web-duration-hours = { $hours }小时{ $minutes }分
web-duration-days = { $days }天{ $hours }小时
web-chart-title = { $incident } 的告警随时间变化：{ $title }
web-chart-alt = { $incident } 各时段触发与恢复的告警数
web-chart-firing = 触发
web-chart-resolved = 恢复
web-chart-empty = 没有告警

# --- web writes and war room paging ---
web-newest-messages = 最新消息
web-write-read-only = 此网页控制台为只读：无法在此进行更改。
web-write-foreign-origin = 此请求来自其他网站。只接受来自 warroom 自身页面的更改。
web-write-csrf = 此页面的安全令牌缺失或已过期。请刷新页面后重试。
web-write-sign-in = 你已退出登录。请重新登录后再试一次。
web-write-bad-form = 页面发送的内容 warroom 无法读取。请刷新页面后重试。
web-write-no-incident = 没有事件 { $incident }。
web-write-no-message = 该消息不在此事件的房间中。请刷新页面。
web-write-button-gone = 该按钮已不在这条消息上。请刷新页面查看当前内容。
web-write-bad-emoji = warroom 不接受这个回应。
web-write-too-many-reactions = 这条消息的不同回应已达上限。
web-write-no-console = 此 warroom 在 Discord 上聊天：请在那里回复房间中的消息。
web-write-unavailable = warroom 暂时无法执行此操作。请稍后重试。
web-write-failed = 操作未成功（HTTP { $status }）。请刷新页面后重试。
web-write-unreachable = 无法连接到 warroom。请检查网络后重试。
# --- web limits ---
reply-typed-too-long = 一条命令最多 { $max } 个字符，这条有 { $chars } 个，因此未执行也未记录。请缩短，或把长备注拆成几条。

# --- web console: live status ---
web-live-lost = 实时更新已中断，正在重新连接。页面内容可能已过时。
