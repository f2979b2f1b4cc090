resource "aws_lb_listener" "l" {
load_balancer_arn = aws_lb.lb.arn
dynamic "default_action" {
for_each = var.actions
iterator = act
content {
type = act.value.type
target_group_arn = act.value.tg
dynamic "redirect" {
for_each = act.value.redirect == null ? [] : [act.value.redirect]
content {
status_code = redirect.value.code
}
}
}
}
}
