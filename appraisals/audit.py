"""The audit trail of a metric value saved one at a time (the admin, a rating): the value it replaced.

Bulk imports write their audit rows themselves (appraisals.metric_import); these receivers cover every
``save()`` of a MetricValue: the stored value is read just before the save and put on the audit row."""

from __future__ import annotations

from django.db.models.signals import pre_save
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from appraisals.models import MetricValue


@receiver(pre_save, sender=MetricValue, dispatch_uid="metric_value_previous")
def remember_previous_value(sender, instance: MetricValue, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._previous_value = None
        return
    instance._previous_value = MetricValue.objects.filter(pk=instance.pk).values_list("value", flat=True).first()


@receiver(pre_create_historical_record, sender=MetricValue.history.model, dispatch_uid="metric_value_history")
def record_previous_value(sender, instance, history_instance, **kwargs) -> None:
    history_instance.previous_value = getattr(instance, "_previous_value", None)
