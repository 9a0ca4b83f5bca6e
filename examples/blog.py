"""A small multi-author blog built on orm.

Authors write posts and subscribe to each other's writing; posts carry topics
(many-to-many) and sit in a tree of sections (a foreign key to its own model).
The script creates its tables, fills them, runs the queries the blog's pages
need, checks each answer, and drops its tables again.

    python3 examples/blog.py               # in-memory SQLite
    python3 examples/blog.py --postgres    # PostgreSQL; DSN from ORM_PG_DSN,
                                           # default "dbname=orm_test host=127.0.0.1 user=postgres"

Table names all start with ``blog_``, so the example can run in a PostgreSQL
database that holds other tables too.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys

try:
    import orm
except ImportError:   # run from a checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    import orm

from orm import (BooleanField, CharField, DatabaseProxy, DateTimeField, DQ,
                 ForeignKeyField, IntegerField, IntegrityError, ManyToManyField, Model,
                 PostgresqlDatabase, SqliteDatabase, TextField, fn, prefetch)

db = DatabaseProxy()          # SQLite or PostgreSQL, decided when the script starts

LAUNCH = datetime.datetime(2024, 9, 2, 7, 0)


def prefixed_table_name(model_class: type) -> str:
    return 'blog_' + orm.make_snake_case(model_class.__name__)


class BlogModel(Model):
    class Meta:
        database = db
        table_function = prefixed_table_name


class Author(BlogModel):
    handle = CharField(unique=True)
    joined = DateTimeField(default=datetime.datetime.now)
    is_editor = BooleanField(default=False)

    # Subscriptions are directed: the reader gets the writer's posts. Both lists
    # below read the link table through a subquery of author ids.
    def _linked(self, own_side, other_side):
        ids = Subscription.select(other_side).where(own_side == self)
        return Author.select().where(Author.id.in_(ids)).order_by(Author.handle)

    def writers(self):
        """Authors this author subscribes to."""
        return self._linked(Subscription.reader, Subscription.writer)

    def readers(self):
        """Authors who subscribe to this author."""
        return self._linked(Subscription.writer, Subscription.reader)

    def subscribe(self, writer: 'Author') -> None:
        Subscription.create(reader=self, writer=writer, since=LAUNCH)

    def feed(self):
        """Posts by the writers this author reads, latest first, each with its author."""
        return (Post.select(Post, Author)
                .join(Author)
                .join(Subscription, on=(Subscription.writer == Author.id))
                .where(Subscription.reader == self.id)
                .order_by(Post.published.desc()))


class Subscription(BlogModel):
    """One author reading another: both foreign keys point at Author."""
    reader = ForeignKeyField(Author, backref='reading', on_delete='CASCADE')
    writer = ForeignKeyField(Author, backref='read_by', on_delete='CASCADE')
    since = DateTimeField()

    class Meta:
        indexes = ((('reader', 'writer'), True),)


class Section(BlogModel):
    title = CharField()
    slug = CharField(unique=True)
    parent = ForeignKeyField('self', null=True, backref='subsections', on_delete='CASCADE')

    def breadcrumb(self) -> str:
        """The titles from the top section down to this one, joined by " / ".

        Each step up reads ``node.parent``, one query per level (lazy loading)."""
        trail: list[str] = []
        node = self
        while node:
            trail.insert(0, node.title)
            node = node.parent
        return ' / '.join(trail)

    def subtree_ids(self):
        """A recursive CTE: this section's id and the ids of every section below it."""
        Inner = Section.alias()
        start = Section.select(Section.id).where(Section.id == self.id).cte(
            'subtree', recursive=True)
        more = Inner.select(Inner.id).join(start, on=(Inner.parent == start.c.id))
        tree = start.union_all(more)
        return tree.select_from(tree.c.id)


class Topic(BlogModel):
    name = CharField(unique=True)


class Post(BlogModel):
    author = ForeignKeyField(Author, backref='posts', on_delete='CASCADE')
    section = ForeignKeyField(Section, null=True, backref='posts', on_delete='SET NULL')
    body = TextField()
    published = DateTimeField()
    claps = IntegerField(default=0)
    topics = ManyToManyField(Topic, backref='posts', on_delete='CASCADE')


PostTopic = Post.topics.get_through_model()
MODELS = [Author, Subscription, Section, Topic, Post, PostTopic]


# -- setting up ----------------------------------------------------------------------------
def connect(use_postgres: bool) -> None:
    if use_postgres:
        dsn = os.environ.get('ORM_PG_DSN',
                             'dbname=orm_test host=127.0.0.1 user=postgres')
        from psycopg2.extensions import parse_dsn  # type: ignore[import-untyped]
        params = parse_dsn(dsn)
        database: orm.Database = PostgresqlDatabase(params.pop('dbname'), **params)
    else:
        database = SqliteDatabase(':memory:', pragmas={'foreign_keys': 1})
    db.initialize(database)
    db.connect()


SECTIONS = [            # (slug, title, parent slug)
    ('eng', 'Engineering', None),
    ('python', 'Python', 'eng'),
    ('data', 'Data', 'eng'),
    ('packaging', 'Packaging', 'python'),
    ('travel', 'Travel', None),
]

POSTS = [               # (author, section slug, body, topics)
    ('amara', 'python', 'Generators keep memory flat.', ['python', 'tips']),
    ('bruno', 'data', 'Every index slows down writes.', ['sql']),
    ('cleo', 'packaging', 'One pyproject.toml to rule them.', ['python']),
    ('amara', 'travel', 'Night train, good coffee.', ['food']),
    ('bruno', 'python', 'Window functions, now from Python.', ['python', 'sql']),
    ('cleo', None, 'First post!', []),
    ('dev', 'data', 'Read the query plan first.', ['sql', 'tips']),
]


def seed() -> None:
    with db.atomic():
        authors = {}
        for handle in ('amara', 'bruno', 'cleo', 'dev'):
            authors[handle] = Author.create(handle=handle, joined=LAUNCH,
                                            is_editor=handle == 'amara')
        pairs = ['amara>bruno', 'amara>cleo', 'bruno>cleo',
                 'cleo>amara', 'dev>amara', 'dev>bruno']
        Subscription.insert_many(
            [(authors[r], authors[w], LAUNCH) for r, w in (p.split('>') for p in pairs)],
            fields=[Subscription.reader, Subscription.writer, Subscription.since]).execute()

        sections: dict[str | None, Section] = {}
        for slug, title, parent in SECTIONS:
            sections[slug] = Section.create(slug=slug, title=title,
                                            parent=sections.get(parent))

        topics = {name: Topic.create(name=name) for name in ('food', 'python', 'sql', 'tips')}

        for hour, (handle, filed_under, body, names) in enumerate(POSTS):
            post = Post.create(author=authors[handle], section=sections.get(filed_under),
                               body=body,
                               published=LAUNCH + datetime.timedelta(hours=hour),
                               claps=(3 * hour + 1) % 7)
            post.topics.add([topics[n] for n in names])
        assert sections['travel'].posts.count() == 1


# -- the pages of the blog -------------------------------------------------------------------
def show_feed(handle: str, page: int = 1, per_page: int = 3) -> list:
    reader = Author.get(Author.handle == handle)
    posts = list(reader.feed().paginate(page, per_page))
    # the topics of this page's posts: one query for the links, one for the topics
    tagged = prefetch(Post.select().where(Post.id.in_([p.id for p in posts])),
                      PostTopic.select(), Topic.select())
    topics_of = {p.id: sorted(t.name for t in p.topics) for p in tagged}
    print('Feed of %s, page %d:' % (handle, page))
    for post in posts:
        print('  %-6s %s  %s %s' % (post.author.handle, post.published.strftime('%H:%M'),
                                    post.body, topics_of[post.id]))
    return [p.body for p in posts]


def show_authors() -> list:
    """One row per author: posts, readers, and claps received (correlated subqueries)."""
    n_posts = Post.select(fn.COUNT(Post.id)).where(Post.author == Author.id)
    n_readers = (Subscription.select(fn.COUNT(Subscription.id))
                 .where(Subscription.writer == Author.id))
    claps = (Post.select(fn.COALESCE(fn.SUM(Post.claps), 0))
             .where(Post.author == Author.id))
    query = (Author.select(Author.handle, n_posts.alias('posts'),
                           n_readers.alias('readers'), claps.alias('claps'))
             .order_by(Author.handle)
             .tuples())
    rows = list(query)
    print('Authors:')
    for row in rows:
        print('  %-6s posts=%d readers=%d claps=%d' % row)
    return rows


def show_busy_topics(minimum: int = 2) -> list:
    uses = fn.COUNT(PostTopic.id)
    query = (Topic.select(Topic.name, uses.alias('uses'))
             .join(PostTopic)
             .group_by(Topic.name)
             .having(uses >= minimum)
             .order_by(uses.desc(), Topic.name))
    rows = [(t.name, t.uses) for t in query]
    print('Topics used at least %d times:' % minimum, rows)
    return rows


def show_sections() -> list:
    """The section tree, indented, each with its own number of posts."""
    counts = dict(Post.select(Post.section, fn.COUNT(Post.id))
                  .where(Post.section.is_null(False))
                  .group_by(Post.section).tuples())
    children: dict = {}
    for section in Section.select().order_by(Section.title):
        children.setdefault(section.parent_id, []).append(section)
    lines = []
    stack = [(s, 0) for s in reversed(children.get(None, []))]
    while stack:
        section, depth = stack.pop()
        lines.append('%s%s (%d)' % ('  ' * depth, section.title, counts.get(section.id, 0)))
        stack.extend((child, depth + 1) for child in reversed(children.get(section.id, [])))
    print('Sections:')
    for line in lines:
        print('  ' + line)
    return lines


def posts_under(slug: str) -> list:
    """Posts in a section or in any section below it."""
    section = Section.get(Section.slug == slug)
    query = (Post.select(Post.body)
             .where(Post.section.in_(section.subtree_ids()))
             .order_by(Post.published))
    return [p.body for p in query]


def suggested_writers(handle: str) -> list:
    """Writers read by this author's writers, that this author does not read yet,
    with how many of this author's writers read them."""
    me = Author.get(Author.handle == handle)
    mine = Subscription.select(Subscription.writer).where(Subscription.reader == me)
    votes = fn.COUNT(Subscription.reader)
    query = (Subscription.select(Author.handle, votes.alias('votes'))
             .join(Author, on=(Subscription.writer == Author.id))
             .where(Subscription.reader.in_(mine)
                    & Subscription.writer.not_in(mine)
                    & (Subscription.writer != me))
             .group_by(Author.handle)
             .order_by(votes.desc(), Author.handle))
    return list(query.tuples())


def search(word: str) -> list:
    """Posts whose body mentions the word, or filed under the topic of that name."""
    on_topic = (PostTopic.select(PostTopic.post)
                .join(Topic).where(Topic.name == word.lower()))
    query = (Post.select()
             .where(Post.body.contains(word) | Post.id.in_(on_topic))
             .order_by(Post.published))
    return [p.body for p in query]


def best_post_per_author() -> list:
    """Each author's most applauded post, by ranking inside a subquery."""
    place = fn.ROW_NUMBER().over(partition_by=[Post.author],
                                 order_by=[Post.claps.desc(), Post.id])
    ranked = (Post.select(Post.author, Post.body, Post.claps, place.alias('place'))
              .alias('ranked'))
    query = (Author.select(Author.handle, ranked.c.body, ranked.c.claps)
             .join(ranked, on=(ranked.c.author_id == Author.id))
             .where(ranked.c.place == 1)
             .order_by(Author.handle))
    return list(query.tuples())


def run() -> None:
    seed()

    amara = Author.get(Author.handle == 'amara')
    assert [a.handle for a in amara.writers()] == ['bruno', 'cleo']
    assert [a.handle for a in amara.readers()] == ['cleo', 'dev']

    first_page = show_feed('amara')
    assert first_page == ['First post!', 'Window functions, now from Python.',
                          'One pyproject.toml to rule them.'], first_page
    second_page = show_feed('amara', page=2)
    assert second_page == ['Every index slows down writes.'], second_page

    authors = show_authors()
    assert authors == [('amara', 2, 2, 4), ('bruno', 2, 2, 10), ('cleo', 2, 2, 2),
                       ('dev', 1, 0, 5)], authors

    topics = show_busy_topics()
    assert topics == [('python', 3), ('sql', 3), ('tips', 2)], topics

    lines = show_sections()
    assert lines == ['Engineering (0)', '  Data (2)', '  Python (2)', '    Packaging (1)',
                     'Travel (1)'], lines
    assert Section.get(Section.slug == 'packaging').breadcrumb() == \
        'Engineering / Python / Packaging'

    under_python = posts_under('python')
    print('Under Python:', under_python)
    assert under_python == ['Generators keep memory flat.', 'One pyproject.toml to rule them.',
                            'Window functions, now from Python.'], under_python
    assert len(posts_under('eng')) == 5

    suggestions = suggested_writers('dev')
    print('dev might also read:', suggestions)
    assert suggestions == [('cleo', 2)], suggestions

    found = search('sql')
    print('Search "sql":', found)
    assert found == ['Every index slows down writes.', 'Window functions, now from Python.',
                     'Read the query plan first.'], found

    best = best_post_per_author()
    print('Best posts:', best)
    assert best == [('amara', 'Night train, good coffee.', 3),
                    ('bruno', 'Window functions, now from Python.', 6),
                    ('cleo', 'First post!', 2),
                    ('dev', 'Read the query plan first.', 5)], best

    # Django-style filters, across a foreign key
    by_editors = Post.filter(author__is_editor=True, claps__gte=2)
    assert [p.body for p in by_editors] == ['Night train, good coffee.']
    assert Post.filter(DQ(claps=0) | DQ(section=None)).count() == 2

    # applause is one atomic UPDATE: no read-modify-write race
    first = Post.get(Post.body == 'First post!')
    Post.update(claps=Post.claps + 1).where(Post.id == first.id).execute()
    assert Post.get_by_id(first.id).claps == 3

    # a second subscription to the same writer breaks the unique index; the savepoint
    # undoes only that statement, and the outer transaction goes on
    with db.atomic():
        try:
            with db.atomic():
                amara.subscribe(Author.get(Author.handle == 'bruno'))
        except IntegrityError:
            print('amara already reads bruno')
        amara.subscribe(Author.get(Author.handle == 'dev'))
    assert Subscription.select().count() == 7
    assert [a.handle for a in amara.writers()] == ['bruno', 'cleo', 'dev']

    # assigning a list replaces a post's topics
    first.topics = [Topic.get(Topic.name == 'tips')]
    assert [t.name for t in first.topics] == ['tips']

    # deleting an author takes their posts, topic links and subscriptions with them
    dev = Author.get(Author.handle == 'dev')
    dev.delete_instance(recursive=True)
    assert Author.select().count() == 3
    assert Post.select().count() == 6
    assert not Subscription.select().where(Subscription.reader == dev.id).exists()
    print('Removed dev; %d posts remain.' % Post.select().count())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--postgres', action='store_true',
                        help='use PostgreSQL (DSN from ORM_PG_DSN) instead of SQLite')
    args = parser.parse_args(argv)
    connect(args.postgres)
    try:
        db.drop_tables(MODELS)             # whatever an interrupted run left behind
        db.create_tables(MODELS)
        run()
    finally:
        db.drop_tables(MODELS)
        db.close()
    print('OK (%s)' % ('PostgreSQL' if args.postgres else 'SQLite'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
