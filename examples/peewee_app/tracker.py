"""A small issue tracker written against peewee's documented API.

    python tracker.py sqlite:////tmp/tracker.db
    TRACKER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tracker python tracker.py

It (re)creates its tables, loads a fixed data set, migrates a table created by an
"older release", runs the queries a tracker's pages need and prints a report.
The report is deterministic: the same on every engine, and the same whether
``peewee`` is real peewee or another implementation of its API.
``golden_report.txt`` is its output on real peewee 3.19; tests/test_peewee_app.py
runs it on orm and says how to regenerate that file.
"""
import datetime
import decimal
import os
import sys

import peewee
from peewee import EXCLUDED, JOIN, SQL, Case, fn, prefetch
from playhouse.db_url import connect
from playhouse.migrate import SchemaMigrator, migrate
from playhouse.shortcuts import dict_to_model, model_to_dict

from tracker_models import (MODELS, Comment, DailyStat, Issue, IssueLabel, Label,
                            LegacyMilestone, Milestone, Project, TimeEntry, User,
                            database)

D = datetime.date


def section(title):
    print()
    print('== %s ==' % title)


def show(*parts):
    print(' '.join(str(p) for p in parts))


def num(value, places=2):
    """Aggregates come back as int, float or Decimal depending on the engine."""
    return '%.*f' % (places, float(value)) if value is not None else 'null'


# --------------------------------------------------------------------------- setup

USERS = [  # username, manager
    ('alice', None), ('bob', 'alice'), ('carol', 'alice'),
    ('dave', 'bob'), ('erin', 'dave'), ('frank', 'carol'),
]
PROJECTS = [('CORE', 'Core engine', 'alice'), ('WEB', 'Web front end', 'carol'),
            ('OPS', 'Operations', 'bob')]
STATUSES = ['open', 'doing', 'closed']


def create_schema(db):
    db.drop_tables(MODELS + [Milestone], safe=True)
    db.create_tables(MODELS)
    LegacyMilestone.create_table()


def load_data(db):
    with db.atomic():
        users = {}
        for name, manager in USERS:
            users[name] = User.create(username=name, email='%s@example.com' % name,
                                      manager=users.get(manager))
        User.update(active=False).where(User.username == 'frank').execute()

        for key, name, lead in PROJECTS:
            Project.create(key=key, name=name, lead=users[lead])

    # Labels through get_or_create: the second round finds the existing rows.
    created = []
    for round_ in range(2):
        for name in ('bug', 'feature', 'docs', 'urgent'):
            label, was_created = Label.get_or_create(
                name=name, defaults={'color': '#ff0000' if name == 'urgent' else '#cccccc'})
            created.append(was_created)
    show('labels created:', created.count(True), 'found:', created.count(False))

    # 24 issues, generated deterministically, inserted in chunks inside a transaction.
    projects = list(Project.select().order_by(Project.id))
    people = list(User.select().order_by(User.id))
    rows = []
    for i in range(24):
        project = projects[i % 3]
        rows.append({
            'project': project.id,
            'number': i // 3 + 1,
            'title': 'Issue %02d of %s' % (i, project.key),
            'reporter': people[i % 5].id,
            'assignee': people[(i * 7) % 6].id if i % 4 else None,
            'status': STATUSES[(i * 7 + i // 3) % 3],
            'priority': i % 5 + 1,
            'points': (i * 3) % 8,
            'opened': D(2024, 1, 1) + datetime.timedelta(days=i * 2),
        })
    with db.atomic():
        for batch in peewee.chunked(rows, 10):
            Issue.insert_many(batch).execute()
    show('issues loaded:', Issue.select().count())

    # Sub-tasks: the first two WEB issues hang under WEB-3.
    web3 = Issue.get((Issue.project == projects[1]) & (Issue.number == 3))
    (Issue.update(parent=web3)
     .where((Issue.project == projects[1]) & (Issue.number.in_([1, 2])))
     .execute())

    # Labels, many-to-many.
    labels = {l.name: l for l in Label.select()}
    for issue in Issue.select().order_by(Issue.id):
        if issue.number % 2:
            issue.labels.add(labels['bug'])
        if issue.priority >= 4:
            issue.labels.add([labels['urgent']])
        if issue.number == 4:
            issue.labels.add(Label.select().where(Label.name.in_(['feature', 'docs'])))

    # Comments, bulk_create.
    comments = []
    for i, issue in enumerate(Issue.select().order_by(Issue.id)):
        for j in range(i % 3):
            comments.append(Comment(issue=issue, author=people[(i + j) % 5],
                                    body='comment %d on %s' % (j, issue.title),
                                    posted=D(2024, 2, 1) + datetime.timedelta(days=i + j)))
    with db.atomic():
        Comment.bulk_create(comments, batch_size=7)
    show('comments loaded:', Comment.select().count())

    LegacyMilestone.insert_many([
        {'project': projects[0].id, 'title': 'v1.0', 'due': '2024-03-01'},
        {'project': projects[0].id, 'title': 'v1.1', 'due': '2024-06-01',
         'obsolete_note': 'drop me'},
        {'project': projects[1].id, 'title': 'launch', 'due': '2024-04-15'},
    ]).execute()


# ------------------------------------------------------------------------ migration

def run_migration(db):
    section('migration')
    migrator = SchemaMigrator.from_database(db)
    with db.atomic():
        migrate(
            migrator.rename_column('tracker_milestone', 'due', 'due_on'),
            migrator.add_column('tracker_milestone', 'closed',
                                peewee.BooleanField(default=False)),
            migrator.add_column('tracker_milestone', 'weight',
                                peewee.IntegerField(null=True)),
            migrator.drop_column('tracker_milestone', 'obsolete_note'),
            migrator.add_index('tracker_milestone', ('project_id', 'title'), True),
        )
    columns = sorted(c.name for c in db.get_columns('tracker_milestone'))
    show('columns:', ', '.join(columns))
    # PostgreSQL lists the primary key's index too; SQLite does not.
    indexes = [i for i in db.get_indexes('tracker_milestone')
               if i.unique and i.columns != ['id']]
    show('unique indexes:', sorted(tuple(i.columns) for i in indexes))
    Milestone.update(closed=True, weight=5).where(Milestone.title == 'v1.0').execute()
    for m in (Milestone.select(Milestone, Project)
              .join(Project).order_by(Project.key, Milestone.title)):
        show(' ', m.project.key, m.title, m.due_on, m.closed, m.weight)
    try:
        with db.atomic():
            Milestone.create(project=Project.get(Project.key == 'CORE'), title='v1.0',
                             due_on='2025-01-01')
    except peewee.IntegrityError:
        show('duplicate milestone rejected by the new unique index')


# -------------------------------------------------------------------------- queries

def joins():
    section('joins')
    Assignee = User.alias('assignee')
    query = (Issue
             .select(Issue, Project, Assignee)
             .join(Project)
             .switch(Issue)
             .join(Assignee, JOIN.LEFT_OUTER, on=(Issue.assignee == Assignee.id))
             .where((Issue.status != 'closed') & (Issue.priority >= 4))
             .order_by(Project.key, Issue.number))
    for issue in query:
        who = issue.assignee.username if issue.assignee else '-'
        show(' ', issue.ref, issue.status, 'p%d' % issue.priority, who)

    # Managers via the self-referential FK.
    Manager = User.alias()
    query = (User.select(User.username, Manager.username.alias('boss'))
             .join(Manager, JOIN.LEFT_OUTER, on=(User.manager == Manager.id))
             .order_by(User.username)
             .tuples())
    show('org:', ', '.join('%s<%s' % (u, b or '') for u, b in query))
    show('alice reports:', [u.username for u in
                            User.get(User.username == 'alice').reports.order_by(User.username)])


def aggregates():
    section('aggregates')
    query = (Project
             .select(Project.key, Issue.status, fn.COUNT(Issue.id).alias('n'),
                     fn.SUM(Issue.points).alias('pts'))
             .join(Issue)
             .group_by(Project.key, Issue.status)
             .having(fn.COUNT(Issue.id) >= 3)
             .order_by(Project.key, Issue.status)
             .dicts())
    for row in query:
        show(' ', row['key'], row['status'], row['n'], row['pts'])

    avg = (Issue.select(fn.AVG(Issue.priority)).scalar())
    show('average priority:', num(avg))
    top = (User.select(User.username, fn.COUNT(Comment.id).alias('ncomments'))
           .join(Comment, JOIN.LEFT_OUTER)
           .group_by(User.username)
           .order_by(fn.COUNT(Comment.id).desc(), User.username)
           .limit(3))
    show('top commenters:', ['%s=%d' % (u.username, u.ncomments) for u in top])
    per_status = (Issue.select(
        fn.SUM(Case(None, [(Issue.status == 'open', 1)], 0)).alias('open'),
        fn.SUM(Case(Issue.status, [('closed', 1)], 0)).alias('closed'),
        fn.MAX(Issue.opened).alias('latest')).dicts().get())
    show('open/closed:', per_status['open'], per_status['closed'])
    distinct = (Issue.select(Issue.reporter).distinct().count())
    show('distinct reporters:', distinct)


def subqueries():
    section('subqueries')
    core = Project.select(Project.id).where(Project.key == 'CORE')
    reporters = (User.select()
                 .where(User.id.in_(Issue.select(Issue.reporter).where(Issue.project.in_(core))))
                 .order_by(User.username))
    show('CORE reporters:', [u.username for u in reporters])

    ncomments = (Comment.select(fn.COUNT(Comment.id))
                 .where(Comment.issue == Issue.id))
    query = (Issue.select(Issue.title, ncomments.alias('nc'))
             .where(ncomments > 1)
             .order_by(Issue.id)
             .limit(4))
    show('busy issues:', ['%s(%d)' % (i.title, i.nc) for i in query])

    silent = (User.select()
              .where(~fn.EXISTS(Comment.select(Comment.id).where(Comment.author == User.id)))
              .order_by(User.username))
    show('never commented:', [u.username for u in silent])

    above_avg = (Issue.select(Issue.title)
                 .where(Issue.points > Issue.select(fn.AVG(Issue.points)))
                 .order_by(Issue.points.desc(), Issue.id)
                 .limit(3))
    show('above average points:', [i.title for i in above_avg])

    open_ids = Issue.select(Issue.id).where(Issue.status == 'open')
    closed_ids = Issue.select(Issue.id).where(Issue.status == 'closed')
    union = (open_ids | closed_ids)
    show('open or closed:', union.count())


def windows():
    section('window functions')
    rank = fn.RANK().over(partition_by=[Issue.project],
                          order_by=[Issue.priority.desc(), Issue.number])
    query = (Issue.select(Project.key, Issue.number, Issue.priority, rank.alias('rnk'))
             .join(Project)
             .order_by(Project.key, SQL('rnk'))
             .tuples())
    best = [row for row in query if row[3] <= 2]
    for key, number, priority, rnk in best:
        show(' ', '%s-%d' % (key, number), 'p%d' % priority, 'rank', rnk)

    running = fn.SUM(Issue.points).over(order_by=[Issue.opened, Issue.id])
    query = (Issue.select(Issue.opened, Issue.points, running.alias('total'))
             .where(Issue.project == Project.get(Project.key == 'OPS'))
             .order_by(Issue.opened))
    show('OPS running points:', ['%s:%d' % (i.opened, i.total) for i in query])

    win = peewee.Window(partition_by=[Issue.status], order_by=[Issue.id])
    query = (Issue.select(Issue.status, Issue.title,
                          fn.ROW_NUMBER().over(window=win).alias('rn'),
                          fn.COUNT(Issue.id).over(partition_by=[Issue.status]).alias('cnt'))
             .window(win)
             .order_by(Issue.status, Issue.id))
    firsts = ['%s %s/%s' % (r.status, r.rn, r.cnt) for r in query if r.rn == 1]
    show('first per status:', firsts)


def recursive_cte():
    section('recursive cte')
    # PostgreSQL wants the same column type in both terms: varchar(40) vs text.
    base = (User.select(User.id, User.username, User.username.cast('text').alias('path'),
                        peewee.Value(0).alias('depth'))
            .where(User.manager.is_null())
            .cte('chain', recursive=True, columns=('id', 'username', 'path', 'depth')))
    Parent = base
    recursive = (User.select(User.id, User.username,
                             Parent.c.path.concat('/').concat(User.username),
                             Parent.c.depth + 1)
                 .join(Parent, on=(User.manager == Parent.c.id)))
    cte = base.union_all(recursive)
    query = (cte.select_from(cte.c.path, cte.c.depth)
             .order_by(cte.c.path))
    for row in query:
        show(' ', '  ' * row.depth + row.path)


def prefetching():
    section('prefetch')
    projects = Project.select().order_by(Project.key)
    issues = Issue.select().where(Issue.priority == 5).order_by(Issue.number)
    comments = Comment.select().order_by(Comment.posted, Comment.id)
    for project in prefetch(projects, issues, comments):
        show(' ', project.key, [
            '%d:%d' % (issue.number, len(issue.comments)) for issue in project.issues])
    web3 = Issue.get((Issue.project == Project.get(Project.key == 'WEB')) & (Issue.number == 3))
    show('WEB-3 subtasks:', [s.number for s in web3.subtasks.order_by(Issue.number)])


def many_to_many():
    section('many-to-many')
    for label in Label.select().order_by(Label.name):
        show(' ', label.name, label.issues.count())
    urgent_bugs = (Issue.select()
                   .join(IssueLabel).join(Label)
                   .where(Label.name == 'bug')
                   .intersect(Issue.select().join(IssueLabel).join(Label)
                              .where(Label.name == 'urgent')))
    show('urgent bugs:', urgent_bugs.count())
    issue = Issue.get(Issue.title == 'Issue 09 of CORE')
    show('before:', sorted(l.name for l in issue.labels))
    issue.labels.remove(Label.get(Label.name == 'urgent'))
    issue.labels.add(Label.get(Label.name == 'bug'))
    show('after:', sorted(l.name for l in issue.labels))
    label_counts = (Label.select(Label.name, fn.COUNT(IssueLabel.id).alias('n'))
                    .join(IssueLabel, JOIN.LEFT_OUTER)
                    .group_by(Label.name)
                    .having(fn.COUNT(IssueLabel.id) > 0)
                    .order_by(Label.name)
                    .namedtuples())
    show('in use:', ['%s=%d' % (r.name, r.n) for r in label_counts])


def upserts(db):
    section('upserts')
    core = Project.get(Project.key == 'CORE')
    events = [('2024-05-01', 'comment'), ('2024-05-01', 'close'),
              ('2024-05-02', 'open'), ('2024-05-01', 'comment')]
    for day, kind in events:
        (DailyStat
         .insert(project=core, day=D.fromisoformat(day), events=1, last_kind=kind)
         .on_conflict(conflict_target=[DailyStat.project, DailyStat.day],
                      update={DailyStat.events: DailyStat.events + EXCLUDED.events,
                              DailyStat.last_kind: EXCLUDED.last_kind})
         .execute())
    (DailyStat.insert(project=core, day=D(2024, 5, 2), events=99)
     .on_conflict_ignore().execute())
    for s in DailyStat.select().order_by(DailyStat.day):
        show(' ', s.day, s.events, s.last_kind)
    with db.atomic():
        (DailyStat.insert_many([(core.id, D(2024, 5, 2), 10), (core.id, D(2024, 5, 3), 1)],
                               fields=[DailyStat.project, DailyStat.day, DailyStat.events])
         .on_conflict(conflict_target=[DailyStat.project, DailyStat.day],
                      preserve=[DailyStat.events])
         .execute())
    show('after bulk upsert:', [(str(s.day), s.events) for s in
                                DailyStat.select().order_by(DailyStat.day)])


def transactions(db):
    section('transactions')
    bob = User.get(User.username == 'bob')
    core = Project.get(Project.key == 'CORE')
    start = Issue.select().count()

    with db.atomic() as txn:
        Issue.create(project=core, number=100, title='kept', reporter=bob)
        with db.atomic() as sp:
            Issue.create(project=core, number=101, title='rolled back', reporter=bob)
            sp.rollback()
        try:
            with db.atomic():
                Issue.create(project=core, number=100, title='duplicate', reporter=bob)
        except peewee.IntegrityError:
            show('duplicate number rejected, savepoint rolled back')
        try:
            with db.atomic():
                Issue.create(project=core, number=102, title='bad', reporter=bob,
                             priority=9)
        except peewee.IntegrityError:
            show('priority 9 rejected by CHECK constraint')
    show('after outer commit:', Issue.select().count() - start, 'new issue(s)')

    with db.atomic() as txn:
        Issue.delete().where(Issue.number == 100).execute()
        show('inside, deleted:', Issue.select().where(Issue.number == 100).count())
        txn.rollback()
    show('after rollback:', Issue.select().where(Issue.number == 100).count())

    class Abort(Exception):
        pass

    try:
        with db.transaction():
            Issue.update(status='closed').execute()
            with db.savepoint():
                Comment.delete().execute()
            raise Abort()
    except Abort:
        pass
    show('still open:', Issue.select().where(Issue.status == 'open').count(),
         'comments:', Comment.select().count())

    @db.atomic()
    def reassign(src, dst):
        return (Issue.update(assignee=dst)
                .where(Issue.assignee == src).execute())

    frank = User.get(User.username == 'frank')
    show('reassigned from frank:', reassign(frank, bob))
    try:
        Issue.get(Issue.title == 'rolled back')
    except Issue.DoesNotExist:
        show('rolled back issue does not exist')
    show('get_or_none:', Issue.get_or_none(Issue.title == 'nope'))


def shapes_and_pages():
    section('pagination and row shapes')
    query = (Issue.select(Issue.title, Issue.status)
             .where(Issue.project == Project.get(Project.key == 'WEB'))
             .order_by(Issue.number))
    total = query.count()
    per_page = 3
    pages = (total + per_page - 1) // per_page
    for page in range(1, pages + 1):
        show('page %d/%d:' % (page, pages),
             [i.title[-9:] for i in query.paginate(page, per_page)])
    show('dict:', query.dicts().first())
    show('tuple:', query.tuples().first())
    nt = query.namedtuples().first()
    show('namedtuple:', nt.title, nt.status)
    show('exists:', query.where(Issue.status == 'doing').exists())
    show('limit/offset:', [r[0] for r in query.tuples().limit(2).offset(5)])
    show('iterator:', sum(1 for _ in Issue.select().iterator()))
    bools = [u.active for u in User.select(User.active).order_by(User.username)]
    show('active flags:', bools)


def sorted_dict(value):
    if isinstance(value, dict):
        return {k: sorted_dict(value[k]) for k in sorted(value)}
    return value


def serialisation():
    section('model_to_dict')
    issue = (Issue.select().join(Project)
             .where((Project.key == 'CORE') & (Issue.number == 4)).get())
    data = model_to_dict(issue, recurse=True, backrefs=False, manytomany=True,
                         exclude=[Issue.id, Project.id, User.id, Label.id,
                                  User.manager, Issue.parent, Issue.assignee])
    data['labels'] = sorted(l['name'] for l in data['labels'])
    for key in sorted(data):
        show(' ', key, '=', sorted_dict(data[key]))
    shallow = model_to_dict(User.get(User.username == 'erin'), recurse=False,
                            only=[User.username, User.manager])
    show('shallow:', sorted(shallow), shallow['manager'] == User.get(
        User.username == 'dave').id)
    copy = dict_to_model(Label, {'name': 'copy', 'color': '#000000'})
    show('dict_to_model:', type(copy).__name__, copy.name, copy.id)
    with_backrefs = model_to_dict(Project.get(Project.key == 'OPS'), backrefs=True,
                                  max_depth=1, only=[Project.key, Project.issues,
                                                     Issue.number])
    show('backrefs:', with_backrefs['key'],
         sorted(i['number'] for i in with_backrefs['issues']))


def extras(db):
    section('extras')
    labels = {l.name: l for l in Label.select()}
    for name, label in (('alice', 'bug'), ('bob', 'bug'), ('dave', 'docs')):
        User.update(favorite_label=labels[label]).where(User.username == name).execute()
    show('bug fans:', [u.username for u in labels['bug'].fans.order_by(User.username)])

    # Time entries: composite primary key, decimals, datetimes, INSERT ... SELECT.
    entries = []
    for i, issue in enumerate(Issue.select().where(Issue.number <= 2).order_by(Issue.id)):
        for day in range(2):
            entries.append({
                'issue': issue, 'user': issue.reporter, 'day': D(2024, 3, 1 + day),
                'hours': decimal.Decimal('1.25') * (i + day + 1),
                'logged_at': datetime.datetime(2024, 3, 1 + day, 9 + i, 30)})
    TimeEntry.insert_many(entries).execute()
    (TimeEntry.insert_from(
        TimeEntry.select(TimeEntry.issue, User.id, TimeEntry.day, TimeEntry.hours * 2,
                         TimeEntry.logged_at)
        .join(User, on=(User.username == 'erin'))
        .where((TimeEntry.day == D(2024, 3, 2)) & (TimeEntry.user != User.id)),
        fields=[TimeEntry.issue, TimeEntry.user, TimeEntry.day, TimeEntry.hours,
                TimeEntry.logged_at]).execute())
    show('time entries:', TimeEntry.select().count())
    per_user = (TimeEntry.select(User.username, fn.SUM(TimeEntry.hours).alias('total'))
                .join(User).group_by(User.username).order_by(User.username).tuples())
    show('hours:', ['%s=%s' % (u, num(t)) for u, t in per_user])
    entry = TimeEntry.get((TimeEntry.user == User.get(User.username == 'alice'))
                          & (TimeEntry.day == D(2024, 3, 2)))
    show('entry:', num(entry.hours), entry.logged_at.isoformat(), entry.logged_at.hour,
         type(entry.hours).__name__)
    by_hour = (TimeEntry.select(TimeEntry.logged_at.hour.alias('h'), fn.COUNT(SQL('*')))
               .group_by(TimeEntry.logged_at.hour).order_by(SQL('h')).tuples())
    # EXTRACT gives an integer on SQLite and a numeric on PostgreSQL 14+.
    show('by hour:', [(int(h), n) for h, n in by_hour])

    # Django-style filters, predicates and date parts.
    show('filter:', Issue.filter(project__key='OPS', status='open').count(),
         Issue.filter(project__lead__username='carol', status='closed').count())
    show('between:', Issue.select().where(Issue.priority.between(2, 3)).count(),
         'contains:', Issue.select().where(Issue.title.contains('1 of')).count(),
         'ilike:', Issue.select().where(Issue.title ** '%of web').count(),
         'endswith:', User.select().where(User.email.endswith('.com')).count())
    feb = Issue.select().where((Issue.opened.year == 2024) & (Issue.opened.month == 2))
    show('opened in February:', feb.count())
    pairs = Issue.select().where(
        peewee.Tuple(Issue.priority, Issue.points).in_([(5, 5), (1, 0), (3, 6)]))
    show('tuple in:', sorted(i.title for i in pairs))

    # Raw SQL, objects(), join_from, select_extend.
    raw = Issue.raw('SELECT title, priority FROM tracker_issue WHERE priority = %s '
                    'ORDER BY id LIMIT 2' % db.param, 5)
    show('raw:', [(i.title, i.priority) for i in raw])
    cursor = db.execute_sql('SELECT COUNT(*) FROM tracker_user WHERE active = %s'
                            % db.param, (True,))
    show('execute_sql:', cursor.fetchone()[0])
    query = (Issue.select(Issue.title, Project.key, User.username)
             .join_from(Issue, Project)
             .join_from(Issue, User, on=Issue.reporter)
             .where(Issue.number == 1)
             .order_by(Project.key)
             .objects())
    show('objects:', ['%s/%s/%s' % (i.key, i.username, i.title) for i in query])
    extended = (Project.select(Project.key).select_extend(Project.name)
                .order_by(Project.key).first())
    show('select_extend:', extended.key, extended.name)

    # Instance API: dirty fields, get_by_id, delete_instance(recursive=True).
    label = Label.create(name='wontfix')
    label.color = '#00ff00'
    show('dirty:', label.dirty_fields == [Label.color], label.is_dirty())
    label.save()
    show('get_by_id:', Label.get_by_id(label.id).color, 'clean:', not label.is_dirty())
    issue = Issue.get(Issue.title == 'Issue 00 of CORE')
    issue.labels.add(label)
    show('delete_instance:', label.delete_instance(recursive=True),
         sorted(l.name for l in issue.labels))
    victim = Issue.get(Issue.title == 'Issue 03 of CORE')
    deps = victim.delete_instance(recursive=True)
    show('deleted issue with dependents:', deps,
         Issue.get_or_none(Issue.title == 'Issue 03 of CORE'))


def cleanup():
    section('writes')
    n = (Issue.update(priority=Issue.priority + 1)
         .where((Issue.priority < 5) & (Issue.status == 'open')).execute())
    show('bumped priority:', n)
    n = (Comment.delete()
         .where(Comment.issue.in_(Issue.select(Issue.id).where(Issue.status == 'closed')))
         .execute())
    show('deleted comments on closed issues:', n)
    n = (User.update(email=fn.UPPER(User.email))
         .where(User.username.startswith('c')).execute())
    show('upper-cased emails:', n, User.get(User.username == 'carol').email)
    carol = User.get(User.username == 'carol')
    carol.email = 'carol@tracker.test'
    show('save returned:', carol.save(only=[User.email]))
    final = {m.__name__: m.select().count() for m in MODELS}
    show('final counts:', ', '.join('%s=%d' % kv for kv in sorted(final.items())))


def main(argv):
    url = (argv[1] if len(argv) > 1 else
           os.environ.get('TRACKER_DATABASE_URL', 'sqlite:///tracker.db'))
    db = connect(url)
    database.initialize(db)
    if isinstance(db, peewee.SqliteDatabase):
        db.pragma('foreign_keys', 1, permanent=True)
    with db.connection_context():
        section('setup')
        create_schema(db)
        load_data(db)
        run_migration(db)
        joins()
        aggregates()
        subqueries()
        windows()
        recursive_cte()
        prefetching()
        many_to_many()
        upserts(db)
        transactions(db)
        shapes_and_pages()
        serialisation()
        extras(db)
        cleanup()
        db.drop_tables(MODELS + [Milestone])
    print()
    print('done')


if __name__ == '__main__':
    main(sys.argv)
