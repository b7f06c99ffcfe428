"""CloudWatch on the local account: the metrics AWS services publish, and metric alarms evaluated.

moto stores metrics (PutMetricData, GetMetricData, GetMetricStatistics) and alarms
(PutMetricAlarm, DescribeAlarms) but never evaluates an alarm. Here the gateway and the Lambda
service publish what API Gateway and Lambda publish (`apigateway_metrics`, `lambda_metrics`),
`alarm_clock` evaluates every metric alarm as CloudWatch documents it (`statistics`,
`evaluation`) and a state change sends the documented message to the alarm's SNS actions
(`alarm_message`), which moto's SNS delivers to its SQS and HTTP subscribers when the topic's
KMS key lets CloudWatch use it (`topic_key`).
"""
