"""Models of a small issue tracker, written against peewee's documented API.

The database is not chosen here: ``database`` is a proxy that ``tracker.py``
initialises from a URL, so the same models serve SQLite and PostgreSQL.
"""
import datetime

import peewee
from peewee import (BooleanField, CharField, Check, DateField, ForeignKeyField,
                    IntegerField, ManyToManyField, Model, TextField)

database = peewee.DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database


class User(BaseModel):
    username = CharField(max_length=40, unique=True)
    email = CharField(max_length=120)
    # Self-referential foreign key: the org chart.
    manager = ForeignKeyField('self', null=True, backref='reports',
                              on_delete='SET NULL')
    active = BooleanField(default=True)
    # Label is defined further down: resolved when that class is created.
    favorite_label = peewee.DeferredForeignKey('Label', null=True, backref='fans')

    class Meta:
        table_name = 'tracker_user'

    def __str__(self):
        return self.username


class Project(BaseModel):
    key = CharField(max_length=8, unique=True)
    name = CharField(max_length=80)
    lead = ForeignKeyField(User, backref='led_projects')

    class Meta:
        table_name = 'tracker_project'


class Label(BaseModel):
    name = CharField(max_length=30, unique=True)
    color = CharField(max_length=7, default='#cccccc')

    class Meta:
        table_name = 'tracker_label'


class Issue(BaseModel):
    project = ForeignKeyField(Project, backref='issues', on_delete='CASCADE')
    number = IntegerField()
    title = CharField(max_length=200)
    reporter = ForeignKeyField(User, backref='reported')
    assignee = ForeignKeyField(User, null=True, backref='assigned')
    # Self-referential again: sub-tasks point at their parent issue.
    parent = ForeignKeyField('self', null=True, backref='subtasks')
    status = CharField(max_length=12, default='open', index=True)
    priority = IntegerField(default=3, constraints=[Check('priority BETWEEN 1 AND 5')])
    points = IntegerField(default=0)
    opened = DateField(default=lambda: datetime.date(2024, 1, 1))
    labels = ManyToManyField(Label, backref='issues')

    class Meta:
        table_name = 'tracker_issue'
        indexes = (
            (('project', 'number'), True),    # issue numbers are unique per project
            (('project', 'status'), False),
        )
        constraints = [Check("status IN ('open', 'doing', 'closed')")]

    @property
    def ref(self):
        return '%s-%d' % (self.project.key, self.number)


IssueLabel = Issue.labels.get_through_model()


class Comment(BaseModel):
    issue = ForeignKeyField(Issue, backref='comments', on_delete='CASCADE')
    author = ForeignKeyField(User, backref='comments')
    body = TextField()
    posted = DateField()

    class Meta:
        table_name = 'tracker_comment'


class TimeEntry(BaseModel):
    """Hours booked on an issue: one row per (issue, user, day)."""
    issue = ForeignKeyField(Issue, backref='time_entries', on_delete='CASCADE')
    user = ForeignKeyField(User, backref='time_entries')
    day = DateField()
    hours = peewee.DecimalField(max_digits=5, decimal_places=2)
    logged_at = peewee.DateTimeField()

    class Meta:
        table_name = 'tracker_time_entry'
        primary_key = peewee.CompositeKey('issue', 'user', 'day')


class DailyStat(BaseModel):
    """One row per (project, day): maintained with upserts."""
    project = ForeignKeyField(Project, on_delete='CASCADE')
    day = DateField()
    events = IntegerField(default=0)
    last_kind = CharField(max_length=20, null=True)

    class Meta:
        table_name = 'tracker_daily_stat'
        indexes = ((('project', 'day'), True),)


# The milestone table is created by an older release of the application (the
# ``LegacyMilestone`` shape) and brought up to date by a schema migration.
class LegacyMilestone(BaseModel):
    project = ForeignKeyField(Project, on_delete='CASCADE')
    title = CharField(max_length=60)
    due = CharField(max_length=10)            # stored as text in release 1
    obsolete_note = TextField(null=True)

    class Meta:
        table_name = 'tracker_milestone'


class Milestone(BaseModel):
    project = ForeignKeyField(Project, backref='milestones', on_delete='CASCADE')
    title = CharField(max_length=60)
    due_on = CharField(max_length=10)         # renamed from ``due``
    closed = BooleanField(default=False)      # added with a default
    weight = IntegerField(null=True)          # added as nullable

    class Meta:
        table_name = 'tracker_milestone'


MODELS = [User, Project, Label, Issue, IssueLabel, Comment, TimeEntry, DailyStat]
