"""Relations on real engines: lazy foreign keys, backrefs, prefetch() and many-to-many."""
from __future__ import annotations

import types

import pytest

from helpers import count_queries
from orm import (JOIN, PREFETCH_TYPE, CharField, DeferredThroughModel,
                 ForeignKeyField, IntegerField, ManyToManyField, Model, ModelSelect,
                 TextField, fn, prefetch)


class User(Model):
    username = CharField(unique=True)


class Tweet(Model):
    user = ForeignKeyField(User, backref='tweets')
    content = TextField()


class Comment(Model):
    tweet = ForeignKeyField(Tweet, backref='comments')
    author = ForeignKeyField(User, backref='comments', object_id_name='author_ref')
    body = TextField()


class Reply(Model):
    """A foreign key that never loads: ``reply.tweet`` is the raw id."""
    tweet = ForeignKeyField(Tweet, lazy_load=False, backref='replies')
    body = TextField()


class Message(Model):
    """Two foreign keys to the same model."""
    sender = ForeignKeyField(User, backref='sent')
    receiver = ForeignKeyField(User, backref='received')
    body = TextField()


MODELS = [User, Tweet, Comment, Reply, Message]


@pytest.fixture
def data(db):
    db.bind(MODELS)
    with db.atomic():     # one commit: seeding stays fast on every engine
        db.create_tables(MODELS)
        huey = User.create(username='huey')
        mickey = User.create(username='mickey')
        zaizee = User.create(username='zaizee')
        t = {}
        for user, content in [(huey, 'meow'), (huey, 'purr'), (mickey, 'woof'),
                              (mickey, 'bark'), (huey, 'hiss')]:
            t[content] = Tweet.create(user=user, content=content)
        for tweet, author, body in [('meow', mickey, 'nice'), ('meow', zaizee, 'cute'),
                                    ('woof', huey, 'loud'), ('hiss', mickey, 'rude')]:
            Comment.create(tweet=t[tweet], author=author, body=body)
        Reply.create(tweet=t['woof'], body='quiet please')
        Message.create(sender=huey, receiver=mickey, body='hi mickey')
        Message.create(sender=mickey, receiver=zaizee, body='hi zaizee')
        return types.SimpleNamespace(db=db, huey=huey, mickey=mickey, zaizee=zaizee, t=t)


# ---------------------------------------------------------------------------------------
# Lazy loading
# ---------------------------------------------------------------------------------------

def test_foreign_key_loads_once_and_is_cached(data):
    tweet = Tweet.get(Tweet.content == 'woof')
    with count_queries() as counter:
        user = tweet.user
        assert user.username == 'mickey'
        assert tweet.user is user
        assert tweet.user.username == 'mickey'
    assert counter.count == 1
    assert counter.sql[0].lstrip().upper().startswith('SELECT')


def test_foreign_key_id_accessors_need_no_query(data):
    tweet = Tweet.get(Tweet.content == 'woof')
    comment = Comment.get(Comment.body == 'loud')
    with count_queries() as counter:
        assert tweet.user_id == data.mickey.id
        assert comment.tweet_id == data.t['woof'].id
        assert comment.author_ref == data.huey.id       # custom object_id_name
    assert counter.count == 0
    assert Comment.author.object_id_name == 'author_ref'
    assert not hasattr(comment, 'author_id')


def test_lazy_load_false_returns_the_id(data):
    reply = Reply.get()
    with count_queries() as counter:
        assert reply.tweet == data.t['woof'].id
        assert reply.tweet_id == data.t['woof'].id
    assert counter.count == 0
    # a joined or assigned object is still returned as the object
    reply.tweet = data.t['meow']
    assert reply.tweet is data.t['meow']
    assert reply.tweet_id == data.t['meow'].id
    joined = Reply.select(Reply, Tweet).join(Tweet).get()
    assert joined.tweet.content == 'woof'


def test_assigning_a_foreign_key(data):
    tweet = Tweet.get(Tweet.content == 'woof')
    assert tweet.user.username == 'mickey'
    tweet.user = data.huey
    assert tweet.user_id == data.huey.id and tweet.user is data.huey
    tweet.user = data.zaizee.id                     # by id: the cached object is dropped
    with count_queries() as counter:
        assert tweet.user.username == 'zaizee'
    assert counter.count == 1
    tweet.save()
    assert Tweet.get_by_id(tweet.id).user_id == data.zaizee.id
    tweet.user_id = data.mickey.id
    assert tweet.user.username == 'mickey'


def test_unset_required_foreign_key_raises(data):
    with pytest.raises(User.DoesNotExist):
        Tweet(content='orphan').user
    assert Tweet(content='orphan').user_id is None


def test_backref_is_a_query(data):
    huey = User.get(User.username == 'huey')
    tweets = huey.tweets
    assert isinstance(tweets, ModelSelect)
    with count_queries() as counter:
        assert sorted(t.content for t in tweets) == ['hiss', 'meow', 'purr']
    assert counter.count == 1
    assert huey.tweets.count() == 3
    assert [t.content for t in huey.tweets.where(Tweet.content != 'meow')
            .order_by(Tweet.content)] == ['hiss', 'purr']
    assert list(data.zaizee.tweets) == []
    assert [c.body for c in data.mickey.comments.order_by(Comment.body)] == ['nice', 'rude']
    # the backref of a lazy_load=False key is a query too
    assert [r.body for r in data.t['woof'].replies] == ['quiet please']


def test_n_plus_one_vs_join_vs_prefetch(data):
    users = User.select().order_by(User.username)
    with count_queries() as counter:
        naive = {u.username: sorted(t.content for t in u.tweets) for u in users}
    assert counter.count == 1 + 3                  # N+1
    with count_queries() as counter:
        joined: dict = {}
        query = (User.select(User, Tweet).join(Tweet, JOIN.LEFT_OUTER)
                 .order_by(User.username))
        for u in query:
            joined.setdefault(u.username, [])
            if u.tweet is not None:
                joined[u.username].append(u.tweet.content)
        joined = {k: sorted(v) for k, v in joined.items()}
    assert counter.count == 1
    with count_queries() as counter:
        users = prefetch(User.select().order_by(User.username), Tweet.select())
        prefetched = {u.username: sorted(t.content for t in u.tweets) for u in users}
    assert counter.count == 2
    assert naive == joined == prefetched == {
        'huey': ['hiss', 'meow', 'purr'], 'mickey': ['bark', 'woof'], 'zaizee': []}


# ---------------------------------------------------------------------------------------
# prefetch()
# ---------------------------------------------------------------------------------------

BOTH = pytest.mark.parametrize('ptype', [PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN],
                               ids=['where', 'join'])


@BOTH
def test_prefetch_one_to_many(data, ptype):
    with count_queries() as counter:
        users = prefetch(User.select().order_by(User.username),
                         Tweet.select().order_by(Tweet.id), prefetch_type=ptype)
    assert counter.count == 2
    with count_queries() as counter:
        assert [u.username for u in users] == ['huey', 'mickey', 'zaizee']
        assert [t.content for t in users[0].tweets] == ['meow', 'purr', 'hiss']
        assert [t.content for t in users[1].tweets] == ['woof', 'bark']
        assert users[2].tweets == []
        # each child's foreign key points at the parent object
        assert all(t.user is users[0] for t in users[0].tweets)
    assert counter.count == 0


@BOTH
def test_prefetch_many_to_one(data, ptype):
    with count_queries() as counter:
        tweets = prefetch(Tweet.select().order_by(Tweet.id), User.select(),
                          prefetch_type=ptype)
    assert counter.count == 2
    with count_queries() as counter:
        assert [(t.content, t.user.username) for t in tweets] == [
            ('meow', 'huey'), ('purr', 'huey'), ('woof', 'mickey'), ('bark', 'mickey'),
            ('hiss', 'huey')]
        assert tweets[0].user is tweets[1].user          # one object per parent row
    assert counter.count == 0


@BOTH
def test_prefetch_multiple_levels(data, ptype):
    with count_queries() as counter:
        users = prefetch(User.select().order_by(User.username),
                         Tweet.select().order_by(Tweet.id),
                         Comment.select().order_by(Comment.id), prefetch_type=ptype)
    assert counter.count == 3
    with count_queries() as counter:
        tree = {u.username: {t.content: [c.body for c in t.comments] for t in u.tweets}
                for u in users}
        assert users[0].tweets[0].comments[0].tweet.user is users[0]
    assert counter.count == 0
    assert tree == {'huey': {'meow': ['nice', 'cute'], 'purr': [], 'hiss': ['rude']},
                    'mickey': {'woof': ['loud'], 'bark': []},
                    'zaizee': {}}


def test_prefetch_where_and_join_give_identical_results(data):
    def snapshot(ptype):
        users = prefetch(User.select().where(User.username != 'zaizee')
                         .order_by(User.username),
                         Tweet.select().where(Tweet.content != 'purr').order_by(Tweet.id),
                         Comment.select().order_by(Comment.id), prefetch_type=ptype)
        return [(u.username, [(t.content, [c.body for c in t.comments]) for t in u.tweets])
                for u in users]

    assert snapshot(PREFETCH_TYPE.WHERE) == snapshot(PREFETCH_TYPE.JOIN) == [
        ('huey', [('meow', ['nice', 'cute']), ('hiss', ['rude'])]),
        ('mickey', [('woof', ['loud']), ('bark', [])])]


def rows_fetched(db, counter):
    """How many rows each statement the counter saw returns (run again to count)."""
    return [len(db.execute_sql(sql, params).fetchall()) for sql, params in counter.queries]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
@BOTH
def test_prefetch_restricts_each_level_by_the_previous_one(data, ptype):
    # ORDER BY + LIMIT on the parent decide which parents' children are fetched, and the
    # third query only fetches comments of the tweets the second one fetched
    with count_queries() as counter:
        users = prefetch(User.select().order_by(User.username.desc()).limit(2),
                         Tweet.select().order_by(Tweet.id),
                         Comment.select().order_by(Comment.id), prefetch_type=ptype)
    assert [(u.username, [(t.content, [c.body for c in t.comments]) for t in u.tweets])
            for u in users] == [('zaizee', []),
                                ('mickey', [('woof', ['loud']), ('bark', [])])]
    assert rows_fetched(data.db, counter) == [2, 2, 1]
    with count_queries() as counter:
        users = prefetch(User.select().order_by(User.username).limit(1).offset(1),
                         Tweet.select(), prefetch_type=ptype)
    assert [(u.username, len(u.tweets)) for u in users] == [('mickey', 2)]
    assert rows_fetched(data.db, counter) == [1, 2]


def test_prefetch_children_of_a_joined_parent_query_are_not_duplicated(data):
    # the parent query repeats each user once per comment; children must not repeat
    parents = (User.select().join(Comment, on=Comment.author).where(Comment.body != 'x')
               .order_by(User.username))
    for ptype in (PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN):
        users = prefetch(parents, Tweet.select().order_by(Tweet.id), prefetch_type=ptype)
        by_name = {u.username: [t.content for t in u.tweets] for u in users}
        assert by_name == {'huey': ['meow', 'purr', 'hiss'], 'mickey': ['woof', 'bark'],
                           'zaizee': []}


@BOTH
def test_prefetch_through_two_foreign_keys_to_one_model(data, ptype):
    # a message belongs in the list of each of its foreign keys, whichever matched
    with count_queries() as counter:
        users = prefetch(User.select().where(User.username == 'zaizee'), Message.select(),
                         prefetch_type=ptype)
    assert counter.count == 2
    assert [([m.body for m in u.sent], [m.body for m in u.received]) for u in users] == [
        ([], ['hi zaizee'])]
    users = prefetch(User.select().order_by(User.username), Message.select(),
                     prefetch_type=ptype)
    assert [(u.username, [m.body for m in u.sent], [m.body for m in u.received])
            for u in users] == [('huey', ['hi mickey'], []),
                                ('mickey', ['hi zaizee'], ['hi mickey']),
                                ('zaizee', [], ['hi zaizee'])]
    with count_queries() as counter:
        messages = prefetch(Message.select().order_by(Message.id), User.select(),
                            prefetch_type=ptype)
        rows = [(m.body, m.sender.username, m.receiver.username) for m in messages]
    assert counter.count == 2
    assert rows == [('hi mickey', 'huey', 'mickey'), ('hi zaizee', 'mickey', 'zaizee')]


def test_model_select_prefetch_method(data):
    with count_queries() as counter:
        users = User.select().order_by(User.username).prefetch(Tweet)
    assert counter.count == 2
    assert [len(u.tweets) for u in users] == [3, 2, 0]
    with count_queries() as counter:
        tweets = (Tweet.select().where(Tweet.content.in_(['meow', 'woof']))
                  .order_by(Tweet.id).prefetch(Comment, User))
    assert counter.count == 3
    assert [(t.content, t.user.username, [c.body for c in t.comments]) for t in tweets] \
        == [('meow', 'huey', ['nice', 'cute']), ('woof', 'mickey', ['loud'])]


def test_prefetch_of_unrelated_model_is_an_error(data):
    class Lonely(Model):
        name = CharField()
    with pytest.raises(Exception, match='Lonely'):
        prefetch(User.select(), Lonely.select())


# ---------------------------------------------------------------------------------------
# Many-to-many
# ---------------------------------------------------------------------------------------

class Student(Model):
    name = CharField()


class Course(Model):
    title = CharField()
    students = ManyToManyField(Student, backref='courses')


StudentCourse = Course.students.get_through_model()


# an explicit through model with an extra column, declared after the field that uses it
PostTagDeferred = DeferredThroughModel()


class Tag(Model):
    name = CharField(unique=True)


class Post(Model):
    title = CharField()
    tags = ManyToManyField(Tag, backref='posts', through_model=PostTagDeferred)


class PostTag(Model):
    post = ForeignKeyField(Post, backref='post_tags')
    tag = ForeignKeyField(Tag, backref='post_tags')
    weight = IntegerField(default=1)


PostTagDeferred.set_model(PostTag)


# a through model class given directly: the relation is added once all three exist
class Author(Model):
    name = CharField()


class Book(Model):
    title = CharField()


class BookAuthor(Model):
    book = ForeignKeyField(Book)
    author = ForeignKeyField(Author)


Book._meta.add_field('authors', ManyToManyField(Author, backref='books',
                                                through_model=BookAuthor))

M2M_MODELS = [Student, Course, StudentCourse, Tag, Post, PostTag, Author, Book, BookAuthor]


@pytest.fixture
def m2m(db):
    db.bind(M2M_MODELS)
    with db.atomic():     # one commit: seeding stays fast on every engine
        db.create_tables(M2M_MODELS)
        students = {n: Student.create(name=n) for n in ('ann', 'bob', 'cid', 'dee')}
        courses = {t: Course.create(title=t) for t in ('math', 'art', 'music')}
        return types.SimpleNamespace(db=db, s=students, c=courses)


def names(query):
    return sorted(obj.name for obj in query)


def test_generated_through_model(m2m):
    assert StudentCourse.__name__ == 'CourseStudentThrough'
    assert StudentCourse._meta.table_name == 'course_student_through'
    assert {f.name for f in StudentCourse._meta.sorted_fields} == {'id', 'course', 'student'}
    assert Course.students.get_through_model() is StudentCourse
    assert Course._meta.manytomany['students'] is Course.students


def test_m2m_add_instances_ids_lists_and_queries(m2m):
    math, art = m2m.c['math'], m2m.c['art']
    math.students.add(m2m.s['ann'])                           # an instance
    math.students.add(m2m.s['bob'].id)                        # an id
    math.students.add([m2m.s['cid']])                         # a list
    assert names(math.students) == ['ann', 'bob', 'cid']
    art.students.add(Student.select().where(Student.name << ['bob', 'dee']))  # a query
    assert names(art.students) == ['bob', 'dee']
    assert StudentCourse.select().count() == 5
    # the backref side sees the same rows
    assert sorted(c.title for c in m2m.s['bob'].courses) == ['art', 'math']
    assert list(m2m.s['bob'].courses.select(Course.title).order_by(Course.title)
                .tuples()) == [('art',), ('math',)]
    # the relation query is an ordinary query: filter, count, order
    assert math.students.where(Student.name != 'ann').count() == 2
    assert [s.name for s in math.students.order_by(Student.name.desc())] == [
        'cid', 'bob', 'ann']


def test_m2m_backref_side_add(m2m):
    dee = m2m.s['dee']
    dee.courses.add([m2m.c['math'], m2m.c['music']])
    assert sorted(c.title for c in dee.courses) == ['math', 'music']
    assert names(m2m.c['music'].students) == ['dee']


def test_m2m_remove_and_clear(m2m):
    math = m2m.c['math']
    math.students.add(list(m2m.s.values()))
    math.students.remove(m2m.s['ann'])
    assert names(math.students) == ['bob', 'cid', 'dee']
    math.students.remove([m2m.s['bob'].id])
    assert names(math.students) == ['cid', 'dee']
    math.students.remove(Student.select().where(Student.name == 'cid'))
    assert names(math.students) == ['dee']
    m2m.c['art'].students.add(m2m.s['dee'])
    assert math.students.clear() == 1
    assert list(math.students) == []
    assert names(m2m.c['art'].students) == ['dee']         # other rows untouched


def test_m2m_assignment_replaces(m2m):
    art = m2m.c['art']
    art.students = [m2m.s['ann'], m2m.s['bob']]
    assert names(art.students) == ['ann', 'bob']
    art.students = [m2m.s['cid']]
    assert names(art.students) == ['cid']
    art.students = []
    assert list(art.students) == []
    m2m.s['ann'].courses = [m2m.c['math'], m2m.c['art']]
    assert sorted(c.title for c in m2m.s['ann'].courses) == ['art', 'math']


def test_m2m_unsaved_instance_is_an_error(m2m):
    with pytest.raises(ValueError):
        m2m.c['math'].students.add(Student(name='ghost'))


def test_m2m_query_through_the_through_model(m2m):
    m2m.c['math'].students.add([m2m.s['ann'], m2m.s['bob']])
    m2m.c['art'].students.add([m2m.s['bob'], m2m.s['cid']])
    query = (Student.select().join(StudentCourse).join(Course)
             .where(Course.title == 'art').order_by(Student.name))
    assert [s.name for s in query] == ['bob', 'cid']
    query = (Course.select().join(StudentCourse).join(Student)
             .where(Student.name == 'bob').order_by(Course.title))
    assert [c.title for c in query] == ['art', 'math']


def test_deferred_through_model_with_extra_column(m2m):
    python, sql = Tag.create(name='python'), Tag.create(name='sql')
    post = Post.create(title='orm internals')
    other = Post.create(title='cooking')
    post.tags.add([python, sql])
    other.tags.add(sql)
    assert Post.tags.get_through_model() is PostTag
    assert sorted(t.name for t in post.tags) == ['python', 'sql']
    assert sorted(p.title for p in sql.posts) == ['cooking', 'orm internals']
    # the through model's own columns are there to use
    PostTag.update(weight=5).where(PostTag.tag == python).execute()
    query = (Post.select(Post.title, PostTag.weight).join(PostTag).join(Tag)
             .where(Tag.name == 'python').tuples())
    assert list(query) == [('orm internals', 5)]
    query = (Post.select().join(PostTag).join(Tag).where(Tag.name == 'sql')
             .order_by(Post.title))
    assert [p.title for p in query] == ['cooking', 'orm internals']
    post.tags.remove(sql)
    assert [t.name for t in post.tags] == ['python']
    assert [pt.tag.name for pt in post.post_tags] == ['python']


def test_through_model_class(m2m):
    assert Book.authors.get_through_model() is BookAuthor
    ann, bo = Author.create(name='ann'), Author.create(name='bo')
    book = Book.create(title='sql for cats')
    book.authors.add([ann, bo])
    assert names(book.authors) == ['ann', 'bo']
    assert [b.title for b in bo.books] == ['sql for cats']
    book.authors.remove(ann)
    assert names(book.authors) == ['bo']
    assert BookAuthor.select().count() == 1


@BOTH
def test_m2m_prefetch_through_the_through_model(m2m, ptype):
    m2m.c['math'].students.add([m2m.s['ann'], m2m.s['bob']])
    m2m.c['art'].students.add([m2m.s['cid']])
    with count_queries() as counter:
        courses = prefetch(Course.select().order_by(Course.title),
                           StudentCourse.select(), Student.select(), prefetch_type=ptype)
    assert counter.count == 3
    with count_queries() as counter:
        result = {c.title: sorted(s.name for s in c.students) for c in courses}
    assert counter.count == 0
    assert result == {'art': ['cid'], 'math': ['ann', 'bob'], 'music': []}
    # the other direction
    with count_queries() as counter:
        students = prefetch(Student.select().order_by(Student.name),
                            StudentCourse.select(), Course.select(), prefetch_type=ptype)
        result = {s.name: [c.title for c in s.courses] for s in students}
    assert counter.count == 3
    assert result == {'ann': ['math'], 'bob': ['math'], 'cid': ['art'], 'dee': []}


def test_m2m_duplicate_link_is_refused_by_the_unique_index(m2m):
    from orm import IntegrityError
    m2m.c['math'].students.add(m2m.s['ann'])
    with pytest.raises(IntegrityError):
        with m2m.db.atomic():
            m2m.c['math'].students.add(m2m.s['ann'])
    assert names(m2m.c['math'].students) == ['ann']


def test_m2m_field_is_not_a_column(m2m):
    with pytest.raises(TypeError, match='CourseStudentThrough'):
        list(Course.select().where(Course.students == 1))


def test_m2m_recursive_delete_removes_links(m2m):
    m2m.c['math'].students.add([m2m.s['ann'], m2m.s['bob']])
    m2m.c['art'].students.add([m2m.s['ann']])
    m2m.c['math'].delete_instance(recursive=True)
    assert StudentCourse.select().count() == 1
    assert [c.title for c in m2m.s['ann'].courses] == ['art']
    assert Student.select().count() == 4


def test_add_issues_only_writes(m2m):
    with count_queries() as every, count_queries(only_select=True) as selects:
        m2m.c['math'].students.add([m2m.s['ann'], m2m.s['bob']])
        m2m.c['math'].students.remove(m2m.s['bob'])
        assert names(m2m.c['math'].students) == ['ann']
    assert selects.count == 1
    assert every.count == 3


# ---------------------------------------------------------------------------------------
# Deeper graphs
# ---------------------------------------------------------------------------------------

def test_three_level_join_graph(data):
    query = (Comment.select(Comment, Tweet, User).join(Tweet).join(User)
             .order_by(Comment.id))
    with count_queries() as counter:
        rows = [(c.body, c.tweet.content, c.tweet.user.username) for c in query]
    assert counter.count == 1
    assert rows == [('nice', 'meow', 'huey'), ('cute', 'meow', 'huey'),
                    ('loud', 'woof', 'mickey'), ('rude', 'hiss', 'huey')]
    # backref chain: user -> tweet -> comment
    query = (User.select(User, Tweet, Comment).join(Tweet).join(Comment)
             .order_by(Comment.id))
    with count_queries() as counter:
        rows = [(u.username, u.tweet.content, u.tweet.comment.body) for u in query]
    assert counter.count == 1
    assert rows[2] == ('mickey', 'woof', 'loud')
    # iterator() rebuilds the same graph without caching
    query = (Comment.select(Comment, Tweet).join(Tweet).where(Comment.body == 'loud'))
    assert [c.tweet.content for c in query.iterator()] == ['woof']


def test_join_with_attr_on_backref_and_alias_auto_detection(data):
    query = (User.select(User, Tweet).join(Tweet, attr='post')
             .where(Tweet.content == 'bark'))
    user = query.get()
    assert (user.username, user.post.content) == ('mickey', 'bark')
    # a foreign key to the aliased model is still found without on=
    Author = User.alias('author')
    query = (Comment.select(Comment, Author).join(Author, on=Comment.author)
             .where(Comment.body == 'cute'))
    assert query.get().author.username == 'zaizee'
    query = Tweet.select(Tweet, Author).join(Author).where(Tweet.content == 'hiss')
    assert query.get().user.username == 'huey'


def test_grouped_query_count(data):
    query = (User.select(User, fn.COUNT(Tweet.id).alias('n')).join(Tweet)
             .group_by(User))
    assert query.count() == 2
    assert query.exists()
    assert sorted((u.username, u.n) for u in query) == [('huey', 3), ('mickey', 2)]


# ---------------------------------------------------------------------------------------
# Foreign keys to non-integer and non-primary keys
# ---------------------------------------------------------------------------------------

class Member(Model):
    handle = CharField(unique=True)


class Profile(Model):
    member = ForeignKeyField(Member, field='handle', backref='profiles')
    bio = TextField()


class Country(Model):
    code = CharField(primary_key=True, max_length=2)
    name = CharField()


class City(Model):
    country = ForeignKeyField(Country, backref='cities', null=True)
    name = CharField()


KEY_MODELS = [Member, Profile, Country, City]


@pytest.fixture
def keyed(db):
    db.bind(KEY_MODELS)
    with db.atomic():
        db.create_tables(KEY_MODELS)
        huey = Member.create(handle='huey')
        Member.create(handle='mickey')
        Profile.create(member=huey, bio='cat')
        Profile.create(member='mickey', bio='dog')          # by the referenced value
        fr = Country.create(code='fr', name='France')
        Country.create(code='de', name='Germany')
        City.create(country=fr, name='Paris')
        City.create(country='de', name='Berlin')
        City.create(country=None, name='Atlantis')
    return db


def test_foreign_key_to_a_unique_non_primary_column(keyed):
    profile = Profile.get(Profile.bio == 'dog')
    assert profile.member_id == 'mickey'
    with count_queries() as counter:
        assert profile.member.handle == 'mickey'
    assert counter.count == 1
    query = Profile.select(Profile, Member).join(Member).order_by(Profile.id)
    assert [(p.bio, p.member.handle) for p in query] == [('cat', 'huey'), ('dog', 'mickey')]
    for ptype in (PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN):
        members = prefetch(Member.select().order_by(Member.handle), Profile.select(),
                           prefetch_type=ptype)
        assert [(m.handle, [p.bio for p in m.profiles]) for m in members] == [
            ('huey', ['cat']), ('mickey', ['dog'])]
    huey = Member.get(Member.handle == 'huey')
    assert [p.bio for p in huey.profiles] == ['cat']
    huey.delete_instance(recursive=True)
    assert [p.bio for p in Profile.select()] == ['dog']


def test_foreign_key_to_a_text_primary_key(keyed):
    paris = City.get(City.name == 'Paris')
    assert paris.country_id == 'fr' and paris.country.name == 'France'
    atlantis = City.get(City.name == 'Atlantis')
    with count_queries() as counter:
        assert atlantis.country is None                  # a NULL key loads nothing
    assert counter.count == 0
    query = (City.select(City, Country).join(Country, JOIN.LEFT_OUTER)
             .order_by(City.name))
    assert [(c.name, c.country.name if c.country else None) for c in query] == [
        ('Atlantis', None), ('Berlin', 'Germany'), ('Paris', 'France')]
    cities = prefetch(City.select().order_by(City.name), Country.select())
    assert [c.country.code if c.country else None for c in cities] == [None, 'de', 'fr']
    countries = prefetch(Country.select().order_by(Country.code), City.select())
    assert [(c.code, [x.name for x in c.cities]) for c in countries] == [
        ('de', ['Berlin']), ('fr', ['Paris'])]
