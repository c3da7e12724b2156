from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def email_sweep() -> int:
    """Send notification emails that were not sent right after their notification (or failed)."""
    from .email import email_sweep_run

    return email_sweep_run()


@shared_task(acks_late=True, ignore_result=True)
def consent_expiry_sweep() -> int:
    """Announce consents whose period ended (`consent.expired`), once each."""
    from .consent_expiry import consent_expiry_sweep_run

    return consent_expiry_sweep_run()
