"""The web view: 总览, 任务, 一事一档, 审核, 通报, 单位 and the personal 填报 page, served on
the one HTTP server of ``superbot run`` (and by ``superbot web`` alone). Pages are templates
under ``templates/<locale>/web/``; the one stylesheet ships in ``static/`` — nothing is
loaded from outside, so it works on an intranet without internet access."""
