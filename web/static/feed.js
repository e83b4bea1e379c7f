// The overview's live feed: each new click arrives as a Server-Sent Event
// from /dashboard/feed and is put on top of the list. Without this file the
// list shows the latest clicks as of the page load.

const list = document.querySelector('[data-feed]');
const max = 20;

if (list && window.EventSource) {
  const source = new EventSource(list.dataset.feed);
  source.addEventListener('click', (event) => {
    const item = JSON.parse(event.data);
    if (list.querySelector(`li[data-id="${CSS.escape(item.id)}"]`)) return;
    const li = document.createElement('li');
    li.dataset.id = item.id;
    const time = document.createElement('time');
    time.dateTime = item.datetime;
    time.textContent = item.time;
    li.append(time, ' ', item.text);
    list.prepend(li);
    while (list.children.length > max) list.lastElementChild.remove();
    const empty = list.closest('section').querySelector('.feed-empty');
    if (empty) empty.hidden = true;
  });
}
